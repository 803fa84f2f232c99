import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Find an executable the way execvp would: a name with a slash is taken as a path (relative to
 * `cwd`), any other name is looked up in `PATH`. Returns null when nothing executable is found.
 * Done before spawning so that "command not found" is a clear spawn failure (500 AGT_001) even
 * when the agent is started through `nice`, which would otherwise report it as exit code 127.
 */
export function resolveExecutable(command: string, pathVar: string | undefined, cwd: string): string | null {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : (pathVar ?? '')
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(path.resolve(cwd, dir), command));
  for (const file of candidates) {
    try {
      const st = statSync(file);
      // access(X_OK) alone says yes to root for any file: require an execute bit too.
      if (!st.isFile() || (st.mode & 0o111) === 0) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}
