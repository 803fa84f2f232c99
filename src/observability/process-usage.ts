import { statfs } from 'node:fs/promises';

/**
 * CPU usage of this process since the previous call (percent of one core), measured from
 * process.cpuUsage deltas; the first call measures since process start.
 */
export class CpuSampler {
  private lastUsage = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  private lastPercent = 0;

  constructor() {
    this.lastUsage = { user: 0, system: 0 };
    this.lastAt = process.hrtime.bigint() - BigInt(Math.round(process.uptime() * 1e9));
  }

  sample(): number {
    const now = process.hrtime.bigint();
    const elapsedUs = Number(now - this.lastAt) / 1000;
    // Sampling faster than every 200 ms would mostly measure the /health call itself.
    if (elapsedUs < 200_000) return this.lastPercent;
    const usage = process.cpuUsage(this.lastUsage);
    this.lastUsage = process.cpuUsage();
    this.lastAt = now;
    this.lastPercent = Math.round(((usage.user + usage.system) / elapsedUs) * 1000) / 10;
    return this.lastPercent;
  }
}

export function rssMb(): number {
  return Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
}

/** Free space available to this user on the file system holding `dir`, in MiB. */
export async function diskSpaceAvailableMb(dir: string): Promise<number> {
  const st = await statfs(dir);
  return Math.floor((Number(st.bavail) * Number(st.bsize)) / 1048576);
}
