import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CoordinationJournal } from './coordination-journal.js';
import { LeaseService } from './lease-service.js';
import type { LeaseRecord } from './lease-records.js';
import { GateService, type GateRecord, type GateResultSource } from './gate-service.js';
import type { CoordinationPublish } from './coordination-types.js';

export interface CoordinationDeps {
  projectId: string;
  projectRoot: string;
  storagePath: string;
  results: GateResultSource;
  publish: CoordinationPublish;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** Leases and gates of the project, sharing one journal. */
export interface Coordination {
  readonly leases: LeaseService;
  readonly gates: GateService;
  /** Answers every waiter, publishes what is queued, closes the journal. Idempotent. */
  close(): Promise<void>;
}

const COMPACT_CHECK_MS = 60_000;
const COMPACT_MIN_RECORDS = 10_000;

/**
 * Open the embedded coordination state (`<storage>/coordination/journal.jsonl`): replay the
 * journal, expire the leases and gates whose time ran out while the sidecar was down (publishing
 * their events), re-check waiting gates against stored results, and compact the journal.
 *
 * @example const coordination = await openCoordination({ projectId, projectRoot, storagePath, results, publish, log })
 */
export async function openCoordination(deps: CoordinationDeps): Promise<Coordination> {
  const { journal, records, corrupt } = await CoordinationJournal.open(path.join(deps.storagePath, 'coordination'));
  const realRoot = await fsp.realpath(deps.projectRoot);
  const leases = new LeaseService({ projectId: deps.projectId, realRoot, journal, publish: deps.publish, log: deps.log });
  const gates = new GateService({ projectId: deps.projectId, journal, results: deps.results, publish: deps.publish, log: deps.log });
  for (const r of records as Array<LeaseRecord | GateRecord>) {
    if (!r || typeof r !== 'object') continue;
    if (r.t === 'G' || r.t === 'D') gates.replay(r);
    else if (r.t === 'L' || r.t === 'N' || r.t === 'R' || r.t === 'F') leases.replay(r);
  }
  const expired = leases.expireOverdue();
  await gates.reconcile();
  await journal.compact(() => [...leases.snapshot(), ...gates.snapshot()]);
  deps.log.info({ records: records.length, corrupt, live_leases: leases.liveCount, expired_while_down: expired, ...gates.stats() }, 'coordination state opened');

  // The journal grows with every change; rewrite it from the live state once it is mostly history.
  const compactTimer = setInterval(() => {
    const live = leases.liveCount + gates.stats().gates;
    if (journal.appendedSinceCompaction < Math.max(COMPACT_MIN_RECORDS, 4 * live)) return;
    journal.compact(() => [...leases.snapshot(), ...gates.snapshot()])
      .catch((err: unknown) => deps.log.warn({ err }, 'coordination journal compaction failed'));
  }, COMPACT_CHECK_MS);
  compactTimer.unref();

  let closing: Promise<void> | undefined;
  return {
    leases,
    gates,
    close() {
      closing ??= (async () => {
        clearInterval(compactTimer);
        await Promise.allSettled([leases.close(), gates.close()]);
        await journal.close();
      })();
      return closing;
    },
  };
}
