/**
 * Runs tasks one at a time per key, in the order they were queued; different keys run
 * concurrently. The result store serialises every write of one (project, issue, agent type) pair
 * with it, so "move the old latest to history, write the new latest" never interleaves and the
 * latest file is always the last result stored.
 *
 * @example await queue.run('p/i/t', () => writeBoth())
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(task, task);
    // The tail never rejects, so one failed write does not poison the queue for its key.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  get size(): number {
    return this.tails.size;
  }
}
