import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: sorts like its numbers
const TIME_LEN = 10;
const RAND_LEN = 16;
const RAND_MAX = (1n << 80n) - 1n;

/** Result ids are ULIDs: 26 Crockford base32 characters, 48-bit ms time then 80 random bits. */
export const RESULT_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

function decode(text: string): bigint {
  let value = 0n;
  for (const ch of text) value = (value << 5n) | BigInt(ALPHABET.indexOf(ch));
  return value;
}

/** Milliseconds since the epoch encoded in a result id. */
export function resultIdTime(id: string): number {
  return Number(decode(id.slice(0, TIME_LEN)));
}

/** The smallest id of millisecond `ms`: every id stored before `ms` sorts below it. */
export function resultIdFloor(ms: number): string {
  return encode(BigInt(Math.max(0, Math.floor(ms))), TIME_LEN) + '0'.repeat(RAND_LEN);
}

/**
 * Monotonic ULID generator: ids sort (as strings) in the order they were generated, also within
 * one millisecond and when the wall clock steps back (the random part is then incremented), so the
 * index can page by id and "latest" is simply the greatest id. Seed it with the greatest id found
 * on disk so ids stay increasing across a restart with a clock that moved back.
 *
 * @example const next = new ResultIdGenerator(); next.generate(Date.now()) // '01JD…'
 */
export class ResultIdGenerator {
  private lastTime = -1;
  private lastRand = 0n;

  /** Ensure every later id sorts after `id`. */
  seed(id: string): void {
    if (!RESULT_ID_PATTERN.test(id)) return;
    const time = resultIdTime(id);
    const rand = decode(id.slice(TIME_LEN));
    if (time > this.lastTime || (time === this.lastTime && rand > this.lastRand)) {
      this.lastTime = time;
      this.lastRand = rand;
    }
  }

  generate(nowMs: number): string {
    const now = Math.max(0, Math.floor(nowMs));
    if (now > this.lastTime) {
      this.lastTime = now;
      // Keep the top bit clear so a burst within one ms cannot overflow the 80 bits.
      this.lastRand = BigInt('0x' + randomBytes(10).toString('hex')) >> 1n;
    } else if (this.lastRand < RAND_MAX) {
      this.lastRand += 1n;
    } else {
      this.lastTime += 1;
      this.lastRand = 0n;
    }
    return encode(BigInt(this.lastTime), TIME_LEN) + encode(this.lastRand, RAND_LEN);
  }
}
