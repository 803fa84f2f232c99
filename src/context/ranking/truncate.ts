/**
 * Head + tail truncation at line boundaries with a marker saying what was cut. Budgets are in
 * UTF-8 bytes (what goes over the wire); the marker counts against the budget.
 */

/** Smallest slice worth sending: below this a file is dropped rather than cut. */
export const MIN_SLICE_BYTES = 512;

export interface Truncated {
  text: string;
  bytes: number;
  truncated: boolean;
  omittedLines: number;
  omittedBytes: number;
}

/**
 * Keep about 60 % of `maxBytes` from the head and 40 % from the tail.
 *
 * @example headTail(bigText, 4096).text.includes('[cco: truncated')
 */
export function headTail(text: string, maxBytes: number, totalBytes = Buffer.byteLength(text)): Truncated {
  if (totalBytes <= maxBytes) return { text, bytes: totalBytes, truncated: false, omittedLines: 0, omittedBytes: 0 };
  const lines = text.split('\n');
  const lineBytes = lines.map((l) => Buffer.byteLength(l) + 1);
  // Reserve room for the marker (its numbers are at most ~40 bytes).
  const markerReserve = 120;
  const room = Math.max(0, maxBytes - markerReserve);
  const headRoom = Math.floor(room * 0.6);
  let head = 0;
  let headBytes = 0;
  while (head < lines.length && headBytes + lineBytes[head]! <= headRoom) headBytes += lineBytes[head++]!;
  let tail = lines.length;
  let tailBytes = 0;
  const tailRoom = room - headBytes;
  while (tail > head && tailBytes + lineBytes[tail - 1]! <= tailRoom) tailBytes += lineBytes[--tail]!;
  if (head === 0 && tail === lines.length) {
    // A single enormous line (minified code, data): cut by characters instead.
    return cutChars(text, maxBytes, totalBytes);
  }
  const omittedLines = tail - head;
  const omittedBytes = Math.max(0, totalBytes - headBytes - tailBytes);
  const marker = `… [cco: truncated ${omittedLines} lines (${omittedBytes} bytes) of ${lines.length}] …\n`;
  const out = lines.slice(0, head).join('\n') + (head > 0 ? '\n' : '') + marker + lines.slice(tail).join('\n');
  return { text: out, bytes: Buffer.byteLength(out), truncated: true, omittedLines, omittedBytes };
}

function cutChars(text: string, maxBytes: number, totalBytes: number): Truncated {
  const room = Math.max(0, maxBytes - 120);
  // Characters ≥ bytes/4 in UTF-8, so slicing by bytes-as-chars and re-measuring converges fast.
  let headChars = Math.floor(room * 0.6);
  let tailChars = room - headChars;
  for (;;) {
    const head = text.slice(0, headChars);
    const tail = tailChars > 0 ? text.slice(text.length - tailChars) : '';
    const omitted = totalBytes - Buffer.byteLength(head) - Buffer.byteLength(tail);
    const marker = `\n… [cco: truncated ${omitted} bytes of ${totalBytes}] …\n`;
    const out = head + marker + tail;
    const bytes = Buffer.byteLength(out);
    if (bytes <= maxBytes || (headChars === 0 && tailChars === 0)) {
      return { text: out, bytes, truncated: true, omittedLines: 0, omittedBytes: omitted };
    }
    headChars = Math.floor(headChars * 0.8);
    tailChars = Math.floor(tailChars * 0.8);
  }
}
