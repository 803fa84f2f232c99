import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A temp dir removed by `cleanup()`. */
export async function tempDir(prefix = 'cco-ctx-'): Promise<string> {
  return fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), prefix)));
}

export async function cleanup(dir: string | undefined): Promise<void> {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
}

/** Write files: path → content (string or Buffer). Parent dirs are created. */
export async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    await fsp.mkdir(path.dirname(abs), { recursive: true });
    await fsp.writeFile(abs, content);
  }
}

/** Run git in a fixture repo with a local identity (never the user's global config for identity). */
export function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_DATE: '', GIT_COMMITTER_DATE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function gitInit(root: string): void {
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'user.name', 'Fixture Author');
  git(root, 'config', 'user.email', 'fixture@example.com');
  git(root, 'config', 'commit.gpgsign', 'false');
}

export function gitCommitAll(root: string, message: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
}

/** Poll until `fn` returns a truthy value (or throw after `timeoutMs`). */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
