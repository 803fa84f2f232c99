/** One entry of the trie: whatever is stored, with the path it was stored under. */
export interface TrieHit<E> {
  path: string;
  entry: E;
}

class TrieNode<E> {
  readonly children = new Map<string, TrieNode<E>>();
  /** Entries stored at exactly this path. */
  readonly here = new Set<E>();
  /** Entries stored strictly below this node (lets a search skip empty subtrees). */
  below = 0;
}

/**
 * Entries keyed by a `/`-separated path, answering "what is stored on this path, on an ancestor
 * directory of it, or below it" in O(depth) when nothing is below, instead of scanning every
 * entry (the lease conflict check on every acquire). Components are compared whole, so `src/app`
 * and `src/apple` never overlap.
 *
 * @example
 * const t = new PathTrie<string>(); t.insert('src/app', 'L1');
 * t.overlapping('src/app/main.ts') // [{path: 'src/app', entry: 'L1'}]
 * t.overlapping('src/apple')       // []
 */
export class PathTrie<E> {
  private readonly root = new TrieNode<E>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  insert(path: string, entry: E): void {
    let node = this.root;
    for (const part of path.split('/')) {
      node.below++;
      let child = node.children.get(part);
      if (!child) {
        child = new TrieNode<E>();
        node.children.set(part, child);
      }
      node = child;
    }
    if (node.here.has(entry)) {
      // Undo the counts: the entry was already there.
      this.walk(path, (n) => {
        n.below--;
      });
      return;
    }
    node.here.add(entry);
    this.count++;
  }

  /** Removes the entry from that path; empty branches are pruned. */
  remove(path: string, entry: E): boolean {
    const parts = path.split('/');
    const trail: TrieNode<E>[] = [this.root];
    for (const part of parts) {
      const next = trail[trail.length - 1]!.children.get(part);
      if (!next) return false;
      trail.push(next);
    }
    const leaf = trail[trail.length - 1]!;
    if (!leaf.here.delete(entry)) return false;
    this.count--;
    for (let i = trail.length - 2; i >= 0; i--) {
      const node = trail[i]!;
      node.below--;
      const child = trail[i + 1]!;
      if (child.here.size === 0 && child.below === 0) node.children.delete(parts[i]!);
    }
    return true;
  }

  /**
   * Entries on the path, on its ancestors and below it that `accept` keeps, at most `limit`
   * (ancestors and the path first, then descendants depth first).
   */
  overlapping(path: string, accept: (entry: E) => boolean = () => true, limit = Number.POSITIVE_INFINITY): Array<TrieHit<E>> {
    const hits: Array<TrieHit<E>> = [];
    const parts = path.split('/');
    let node: TrieNode<E> | undefined = this.root;
    for (let i = 0; i < parts.length; i++) {
      node = node.children.get(parts[i]!);
      if (!node) return hits;
      for (const entry of node.here) {
        if (accept(entry)) hits.push({ path: parts.slice(0, i + 1).join('/'), entry });
        if (hits.length >= limit) return hits;
      }
    }
    if (node.below > 0) this.collectBelow(node, path, accept, limit, hits);
    return hits;
  }

  /** Whether anything `accept` keeps overlaps the path (stops at the first hit). */
  overlaps(path: string, accept: (entry: E) => boolean = () => true): boolean {
    return this.overlapping(path, accept, 1).length > 0;
  }

  private collectBelow(node: TrieNode<E>, prefix: string, accept: (entry: E) => boolean, limit: number, hits: Array<TrieHit<E>>): void {
    for (const [name, child] of node.children) {
      const childPath = `${prefix}/${name}`;
      for (const entry of child.here) {
        if (accept(entry)) hits.push({ path: childPath, entry });
        if (hits.length >= limit) return;
      }
      if (child.below > 0) {
        this.collectBelow(child, childPath, accept, limit, hits);
        if (hits.length >= limit) return;
      }
    }
  }

  private walk(path: string, visit: (node: TrieNode<E>) => void): void {
    let node: TrieNode<E> | undefined = this.root;
    for (const part of path.split('/')) {
      if (!node) return;
      visit(node);
      node = node.children.get(part);
    }
  }
}
