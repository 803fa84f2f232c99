import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { EmbeddedEventBus } from '../../src/events/embedded-event-bus.js';

export type EventsConfigInput = NonNullable<ConfigInput['events']>;

/** A temp storage dir plus helpers to open buses on it; `cleanup()` in `after`. */
export class BusFixture {
  readonly dirs: string[] = [];
  readonly open = new Set<EmbeddedEventBus>();
  /** Adjustable clock shared by the buses of this fixture (epoch ms). */
  clock = Date.now();

  async tempDir(): Promise<string> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cco-events-'));
    this.dirs.push(dir);
    return dir;
  }

  async bus(dir: string, events: EventsConfigInput = {}, extra: { fakeClock?: boolean; compactMinBytes?: number } = {}): Promise<EmbeddedEventBus> {
    const config = configFor({ project_root: dir, storage_path: dir, events });
    const bus = await EmbeddedEventBus.open({
      events: config.events,
      dir: path.join(dir, 'events'),
      ...(extra.fakeClock ? { now: () => this.clock } : {}),
      ...(extra.compactMinBytes !== undefined ? { compactMinBytes: extra.compactMinBytes } : {}),
    });
    this.open.add(bus);
    return bus;
  }

  async close(bus: EmbeddedEventBus): Promise<void> {
    await bus.close();
    this.open.delete(bus);
  }

  async cleanup(): Promise<void> {
    for (const bus of this.open) await bus.close().catch(() => undefined);
    this.open.clear();
    for (const dir of this.dirs) await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Resolves to the rejection of `p` (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; status?: number; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

export function seqOf(id: string): number {
  return Number(id.split('_').pop());
}
