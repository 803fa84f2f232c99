import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileResultStore, type FileResultStoreOptions } from '../../src/results/file-result-store.js';
import type { StoreResultInput } from '../../src/results/result-store.js';

/** A fresh temp storage dir; remove it with `fsp.rm(dir, { recursive: true, force: true })`. */
export async function tempStorage(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'cco-results-'));
}

export function openStore(storagePath: string, extra: Partial<FileResultStoreOptions> = {}): Promise<FileResultStore> {
  return FileResultStore.open({ storagePath, retentionDays: 30, sweepIntervalMs: 0, ...extra });
}

export function input(over: Partial<StoreResultInput> = {}): StoreResultInput {
  return {
    agent_id: 'agent-1',
    agent_type: 'python-specialist',
    issue_id: '42',
    project_id: 'web',
    result: { status: 'success', files_created: ['src/a.py'] },
    ...over,
  };
}

/** Every file under `dir`, relative, sorted (links listed, not followed). */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}
