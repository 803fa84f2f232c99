/**
 * `argv` without the given value-taking flags, in both forms (`--flag value` and `--flag=value`).
 * Used when `start` re-runs itself (detached, or as cluster workers): URLs that may hold a password
 * go through the environment instead of a command line that `ps` shows.
 *
 * @example withoutFlags(['--port', '0', '--redis-url=redis://:pw@h'], ['--redis-url']) // ['--port', '0']
 */
export function withoutFlags(argv: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flags.includes(arg)) i++;
    else if (!flags.some((f) => arg.startsWith(`${f}=`))) out.push(arg);
  }
  return out;
}

/** The `start` flags whose values may carry credentials. */
export const SECRET_FLAGS = ['--postgres-url', '--redis-url'] as const;
