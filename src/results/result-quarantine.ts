import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ComponentLogger } from '../logging/component-logger.js';
import type { QuarantinedFile } from './result-store.js';
import { QUARANTINE_DIR } from './tree-scan.js';

const MAX_REPORTED = 100;

/**
 * Moves result files that cannot be trusted (unparsable, misplaced, links planted at a result
 * path) into `<results>/.quarantine/`, never deleting them, and keeps a bounded report for the
 * start-up log.
 */
export class ResultQuarantine {
  /** The first files moved (at most 100), for the open report. */
  readonly reported: QuarantinedFile[] = [];
  /** Every file moved since the store opened. */
  count = 0;

  constructor(
    private readonly root: string,
    private readonly now: () => number,
    private readonly log: ComponentLogger | undefined,
  ) {}

  async move(file: string, reason: string): Promise<void> {
    const rel = path.relative(this.root, file);
    const flat = rel.split(path.sep).join('__').slice(-150);
    const name = `${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}-${flat}`;
    const dest = path.join(this.root, QUARANTINE_DIR, name);
    try {
      await fsp.rename(file, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.log?.error({ err, file: rel, reason }, 'could not quarantine a result file');
      return;
    }
    this.count++;
    const record = { path: rel, reason, moved_to: path.join(QUARANTINE_DIR, name) };
    if (this.reported.length < MAX_REPORTED) this.reported.push(record);
    this.log?.warn(record, 'result file quarantined');
  }
}
