import type { AgentPriority } from './types.js';

const ORDER: readonly AgentPriority[] = ['high', 'normal', 'low'];

/**
 * Waiting spawns: high before normal before low, first in first out within a priority.
 * Bounded by the caller (`agent_queue_size`); removal by key serves kills of queued agents.
 */
export class PriorityQueue<T> {
  private readonly lanes: Record<AgentPriority, Array<{ key: string; item: T }>> = { high: [], normal: [], low: [] };

  get size(): number {
    return this.lanes.high.length + this.lanes.normal.length + this.lanes.low.length;
  }

  push(key: string, item: T, priority: AgentPriority): void {
    this.lanes[priority].push({ key, item });
  }

  /** The next item by priority, or undefined when empty. */
  shift(): T | undefined {
    for (const p of ORDER) {
      const entry = this.lanes[p].shift();
      if (entry) return entry.item;
    }
    return undefined;
  }

  /** Remove and return the item with this key. */
  remove(key: string): T | undefined {
    for (const p of ORDER) {
      const i = this.lanes[p].findIndex((e) => e.key === key);
      if (i >= 0) return this.lanes[p].splice(i, 1)[0]?.item;
    }
    return undefined;
  }

  /** 1-based position in start order, or 0 when absent. */
  positionOf(key: string): number {
    let before = 0;
    for (const p of ORDER) {
      const i = this.lanes[p].findIndex((e) => e.key === key);
      if (i >= 0) return before + i + 1;
      before += this.lanes[p].length;
    }
    return 0;
  }

  /** Remove everything, in start order. */
  drain(): T[] {
    const all = ORDER.flatMap((p) => this.lanes[p].map((e) => e.item));
    for (const p of ORDER) this.lanes[p] = [];
    return all;
  }
}
