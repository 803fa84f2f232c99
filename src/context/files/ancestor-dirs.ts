/**
 * Every directory that holds one of `paths` (relative POSIX paths), sorted; with `root`, also
 * '' for the root itself. Walks up from each file and stops at the first directory already
 * seen, so a sorted 50k-file list costs about one set lookup per file.
 *
 * @example ancestorDirs(['a/b/c.ts', 'e.ts'], { root: true }) // ['', 'a', 'a/b']
 */
export function ancestorDirs(paths: readonly string[], opts: { root?: boolean } = {}): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    let slash = p.lastIndexOf('/');
    while (slash > 0) {
      const d = p.slice(0, slash);
      if (dirs.has(d)) break;
      dirs.add(d);
      slash = d.lastIndexOf('/');
    }
  }
  if (opts.root) dirs.add('');
  return [...dirs].sort();
}
