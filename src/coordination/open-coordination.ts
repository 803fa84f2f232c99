import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CoordinationJournal } from './coordination-journal.js';
import { LeaseService } from './lease-service.js';
import type { LeaseRecord } from './lease-records.js';
import { EmbeddedLeaseStore } from './embedded-lease-store.js';
import { RedisLeaseStore } from './redis/redis-lease-store.js';
import type { RedisClient } from '../redis/redis-connection.js';
import type { ComponentLogger } from '../logging/component-logger.js';
import { GateService, type GateRecord, type GateResultSource } from './gate-service.js';
import { EmbeddedGateStore } from './embedded-gate-store.js';
import { RedisGateStore } from './redis/redis-gate-store.js';
import type { CoordinationPublish } from './coordination-types.js';

export interface CoordinationDeps {
  projectId: string;
  projectRoot: string;
  storagePath: string;
  results: GateResultSource;
  publish: CoordinationPublish;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Leases shared with every sidecar on this Redis (`events.backend: "redis"`); else kept in the journal. */
  redis?: { client: RedisClient; url: string; logger?: ComponentLogger } | undefined;
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
  // Embedded: leases replay from the journal. On Redis the journal keeps the gates only.
  const embedded = deps.redis ? undefined : new EmbeddedLeaseStore(journal, deps.log);
  const store = deps.redis
    ? await RedisLeaseStore.open({
        client: deps.redis.client,
        url: deps.redis.url,
        projectId: deps.projectId,
        ...(deps.redis.logger ? { logger: deps.redis.logger } : {}),
      })
    : embedded!;
  const leases = new LeaseService({ projectId: deps.projectId, realRoot, store, publish: deps.publish, log: deps.log });
  const embeddedGates = deps.redis ? undefined : new EmbeddedGateStore(journal, deps.log);
  const gateStore = deps.redis
    ? await RedisGateStore.open({
        client: deps.redis.client,
        url: deps.redis.url,
        projectId: deps.projectId,
        ...(deps.redis.logger ? { logger: deps.redis.logger } : {}),
      })
    : embeddedGates!;
  const gates = new GateService({ projectId: deps.projectId, store: gateStore, results: deps.results, publish: deps.publish, log: deps.log });
  for (const r of records as Array<LeaseRecord | GateRecord>) {
    if (!r || typeof r !== 'object') continue;
    if (r.t === 'G' || r.t === 'D') embeddedGates?.replay(r);
    else if (r.t === 'L' || r.t === 'N' || r.t === 'R' || r.t === 'F') embedded?.replay(r);
  }
  const leaseSnapshot = (): LeaseRecord[] => embedded?.snapshot() ?? [];
  const replayed = embedded?.size ?? 0;
  const snapshot = (): Array<LeaseRecord | GateRecord> => [...leaseSnapshot(), ...(embeddedGates?.snapshot() ?? [])];
  try {
    await leases.start();
    await gates.start();
  } catch (err) {
    await Promise.allSettled([store.close(), gateStore.close()]);
    await journal.close();
    throw err;
  }
  await journal.compact(snapshot);
  deps.log.info(
    { records: records.length, corrupt, lease_store: deps.redis ? 'redis' : 'embedded', replayed_leases: replayed, ...leases.stats(), ...gates.stats() },
    'coordination state opened',
  );

  // The journal grows with every change; rewrite it from the live state once it is mostly history.
  const compactTimer = setInterval(() => {
    const live = (embedded?.size ?? 0) + gates.stats().gates;
    if (journal.appendedSinceCompaction < Math.max(COMPACT_MIN_RECORDS, 4 * live)) return;
    journal.compact(snapshot).catch((err: unknown) => deps.log.warn({ err }, 'coordination journal compaction failed'));
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
