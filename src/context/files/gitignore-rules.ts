import ignore, { type Ignore } from 'ignore';

/** One ignore file: the directory it applies to (relative, '' = root) and its text. */
export interface IgnoreFile {
  dir: string;
  content: string;
}

/**
 * Every `.gitignore` level, with git's semantics: a file's patterns apply to paths below its
 * directory, relative to it; deeper files take precedence (checked last); a path inside an
 * ignored directory is ignored whatever deeper files say (git cannot re-include it either).
 * Used by the non-git walker, and by the watcher to decide about paths created after the scan.
 */
export class GitignoreRules {
  private readonly byDir = new Map<string, Ignore>();
  private sortedDirs: string[] = [];

  constructor(files: readonly IgnoreFile[] = []) {
    for (const f of files) this.add(f.dir, f.content);
  }

  /** Add (or extend) the rules of one directory. */
  add(dir: string, content: string): void {
    const existing = this.byDir.get(dir);
    if (existing) existing.add(content);
    else this.byDir.set(dir, ignore({ allowRelativePaths: true }).add(content));
    this.sortedDirs = [...this.byDir.keys()].sort((a, b) => a.length - b.length);
  }

  has(dir: string): boolean {
    return this.byDir.has(dir);
  }

  get size(): number {
    return this.byDir.size;
  }

  /**
   * Is this path ignored by the file of its own level or an ancestor's? `isDir` adds the
   * trailing slash gitignore needs to match directory-only patterns.
   * Only the path itself is tested: callers walk top-down and never descend into an ignored
   * directory, which gives git's "cannot re-include below an ignored dir" rule for free.
   */
  ignores(rel: string, isDir: boolean): boolean {
    let ignored = false;
    for (const dir of this.sortedDirs) {
      if (dir !== '' && !(rel.startsWith(dir) && rel.charCodeAt(dir.length) === 47)) continue;
      const sub = dir === '' ? rel : rel.slice(dir.length + 1);
      const r = this.byDir.get(dir)!.test(isDir ? sub + '/' : sub);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }

  /** Like {@link ignores} but also true when any ancestor directory is ignored (for paths seen out of order, e.g. watcher events). */
  ignoresWithParents(rel: string, isDir: boolean): boolean {
    let from = 0;
    for (;;) {
      const slash = rel.indexOf('/', from);
      if (slash < 0) break;
      if (this.ignores(rel.slice(0, slash), true)) return true;
      from = slash + 1;
    }
    return this.ignores(rel, isDir);
  }
}
