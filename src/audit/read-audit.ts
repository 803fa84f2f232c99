import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditEntry, AuditOutcome } from './audit-entry.js';

export const AUDIT_FILE = 'audit.log';

export interface AuditQuery {
  /** Only entries at or after this time. */
  since?: Date;
  sub?: string;
  outcome?: AuditOutcome;
  /** Keep the newest `limit` matching entries (default 100). */
  limit?: number;
}

export interface AuditReadResult {
  /** Oldest first. */
  entries: AuditEntry[];
  /** Matching entries before the `limit` cut. */
  matched: number;
  /** Lines that were not audit entries (should be 0: the writer never tears a line). */
  unreadable_lines: number;
  files: string[];
}

/** audit.log.N … audit.log.1, audit.log: oldest first. */
async function auditFiles(storageDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(storageDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const rotated = names
    .map((n) => /^audit\.log\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => m[0]);
  return [...rotated, ...(names.includes(AUDIT_FILE) ? [AUDIT_FILE] : [])].map((n) => path.join(storageDir, n));
}

function isEntry(value: unknown): value is AuditEntry {
  const v = value as Partial<AuditEntry> | null;
  return !!v && typeof v === 'object' && typeof v.time === 'string' && typeof v.action === 'string' && typeof v.outcome === 'string';
}

/**
 * Read the local audit log (no server needed), rotated files included, streaming line by line so
 * 60 MiB of history never sits in memory at once; only the newest `limit` matches are kept.
 */
export async function readAudit(storageDir: string, query: AuditQuery = {}): Promise<AuditReadResult> {
  const limit = query.limit ?? 100;
  const sinceMs = query.since?.getTime();
  const files = await auditFiles(storageDir);
  const kept: AuditEntry[] = [];
  let matched = 0;
  let unreadable = 0;
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        let entry: unknown;
        try {
          entry = JSON.parse(line);
        } catch {
          unreadable++;
          continue;
        }
        if (!isEntry(entry)) {
          unreadable++;
          continue;
        }
        if (sinceMs !== undefined && !(Date.parse(entry.time) >= sinceMs)) continue;
        if (query.sub !== undefined && entry.sub !== query.sub) continue;
        if (query.outcome !== undefined && entry.outcome !== query.outcome) continue;
        matched++;
        kept.push(entry);
        if (kept.length > limit) kept.shift();
      }
    } catch (err) {
      // Rotated away between listing and opening: nothing to read there.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return { entries: kept, matched, unreadable_lines: unreadable, files };
}

/** `2026-11-23T10:00:00Z`, or a relative age: `90s`, `15m`, `2h`, `7d`. */
export function parseSince(value: string, now: number = Date.now()): Date | undefined {
  const rel = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(rel[1]) * unit);
  }
  const abs = Date.parse(value);
  return Number.isNaN(abs) ? undefined : new Date(abs);
}
