import fs, { type Dirent } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { GitignoreRules, type IgnoreFile } from '../../files/gitignore-rules.js';
import type { PathRules } from '../../files/path-rules.js';

/**
 * The walker used outside a git work tree: fast-glob with a file system adapter whose
 * `readdirSync` applies the `.gitignore` of each directory as it is entered, so ignored
 * directories are pruned, not walked and filtered (fast-glob has no prune callback).
 * Symlinks, FIFOs, sockets and devices are dropped at readdir: never listed, never followed.
 */
export function walkWithGitignore(root: string, rules: PathRules): { files: string[]; dirs: string[]; ignoreFiles: IgnoreFile[] } {
  const gitignore = new GitignoreRules();
  const ignoreFiles: IgnoreFile[] = [];
  const dirs: string[] = [];
  const rootAbs = path.resolve(root);
  const relOf = (abs: string): string => {
    const r = path.relative(rootAbs, path.resolve(rootAbs, abs));
    return r === '' ? '' : r.split(path.sep).join('/');
  };
  const readdirSync = ((dir: fs.PathLike, options?: unknown) => {
    const entries = fs.readdirSync(dir, options as { withFileTypes: true }) as unknown as Dirent[] | string[];
    const relDir = relOf(String(dir));
    dirs.push(relDir);
    if (entries.length === 0 || typeof entries[0] === 'string') return entries;
    const dirents = entries as Dirent[];
    const gi = dirents.find((e) => e.name === '.gitignore' && e.isFile());
    if (gi && !gitignore.has(relDir)) {
      try {
        const abs = path.join(rootAbs, relDir, '.gitignore');
        const st = fs.lstatSync(abs);
        if (st.isFile() && st.size <= 1024 * 1024) {
          const content = fs.readFileSync(abs, 'utf8');
          gitignore.add(relDir, content);
          ignoreFiles.push({ dir: relDir, content });
        }
      } catch {
        // vanished or unreadable: no rules from it
      }
    }
    return dirents.filter((e) => {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      if (e.isDirectory()) return !rules.isExcludedDir(rel) && !gitignore.ignores(rel, true);
      if (e.isFile()) return !rules.isExcludedFile(rel) && !gitignore.ignores(rel, false);
      return false; // symlinks, FIFOs, sockets, devices: never listed, never followed
    });
  }) as typeof fs.readdirSync;
  const files = fg.sync('**', {
    cwd: rootAbs,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    suppressErrors: true,
    unique: false,
    fs: { ...fs, readdirSync },
  });
  return { files, dirs: [...new Set(dirs)].sort(), ignoreFiles };
}
