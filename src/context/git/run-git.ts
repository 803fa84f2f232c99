import { execFile } from 'node:child_process';
import path from 'node:path';

/** Output of one git invocation. */
export interface GitOutput {
  stdout: string;
  code: number;
}

/** Injected so tests can count or fake git calls. */
export type RunGit = (args: readonly string[], cwd: string, opts?: { maxBuffer?: number }) => Promise<GitOutput>;

/**
 * Run git through execFile (never a shell). Read-only commands pass `--no-optional-locks` so a
 * background status never rewrites the index (which would look like an index change to us and
 * fight with the user's own git commands). Non-zero exits resolve with their code; only a
 * missing git binary or an oversized output rejects.
 */
export const runGit: RunGit = (args, cwd, opts = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      'git',
      ['--no-optional-locks', '-c', 'core.quotepath=off', ...args],
      { cwd, maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
      (err, stdout) => {
        if (err) {
          // A non-zero exit carries the exit status as a number; spawn failures carry a string.
          const code: unknown = (err as { code?: unknown }).code;
          if (typeof code === 'number') return resolve({ stdout: stdout ?? '', code });
          // execFile's error type drops Error's brand (an Omit<>), but it is the ExecException itself.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          return reject(err);
        }
        resolve({ stdout, code: 0 });
      },
    );
  });

/** Facts about the work tree containing `root`, or null when it is not in one. */
export interface GitWorkTree {
  /** Absolute top level of the work tree. */
  toplevel: string;
  /** Absolute git dir (per work tree) and common dir (shared refs, packed-refs). */
  gitDir: string;
  commonDir: string;
  /** `root` relative to the top level with a trailing slash, '' when root is the top level. */
  prefix: string;
}

export async function detectWorkTree(root: string, git: RunGit = runGit): Promise<GitWorkTree | null> {
  let out: GitOutput;
  try {
    out = await git(['rev-parse', '--is-inside-work-tree', '--show-toplevel', '--absolute-git-dir', '--git-common-dir', '--show-prefix'], root);
  } catch {
    return null; // git is not installed: behave as outside a work tree
  }
  if (out.code !== 0) return null;
  const lines = out.stdout.split('\n');
  if (lines[0] !== 'true') return null;
  const toplevel = lines[1] ?? '';
  const gitDir = lines[2] ?? '';
  const commonDir = lines[3] ? path.resolve(root, lines[3]) : gitDir;
  return { toplevel, gitDir, commonDir, prefix: lines[4] ?? '' };
}
