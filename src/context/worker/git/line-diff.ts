/**
 * Count added and deleted lines between two versions of a file, as `git diff --numstat` does:
 * lines keep their terminator (so a missing final newline is a changed line), and the counts
 * are those of a shortest edit script. For insert/delete-only scripts the counts follow from
 * the edit distance D alone: added − deleted = new − old and added + deleted = D, so Myers'
 * O((N+M)·D) search for D suffices (after trimming the common head and tail, typical edits
 * leave a few lines). Returns null when the distance exceeds `maxD` (the caller asks git).
 * On rare inputs git itself reports a longer script: its xdiff drops isolated matches of
 * repeated lines before searching (a noise filter), e.g. +9 -6 where the shortest is +8 -5.
 * The net change is the same; the counts here are the shortest.
 */

export type LineCounts = { added: number; deleted: number } | 'binary';

function splitLines(buf: Buffer): string[] {
  const text = buf.toString('latin1'); // byte-exact comparison, cheaper than UTF-8 decoding
  const lines: string[] = [];
  let from = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', from)) {
    lines.push(text.slice(from, i + 1));
    from = i + 1;
  }
  if (from < text.length) lines.push(text.slice(from));
  return lines;
}

/** @example countLineChanges(Buffer.from('a\nb\n'), Buffer.from('a\nc\n')) // {added: 1, deleted: 1} */
export function countLineChanges(oldBuf: Buffer, newBuf: Buffer, maxD = 4000): LineCounts | null {
  if (oldBuf.subarray(0, 8000).includes(0) || newBuf.subarray(0, 8000).includes(0)) return 'binary';
  const a = splitLines(oldBuf);
  const b = splitLines(newBuf);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if (n === 0 || m === 0) return { added: m, deleted: n };
  const d = editDistance(a, start, n, b, start, m, maxD);
  if (d === null) return null;
  const added = (d + (m - n)) / 2;
  return { added, deleted: d - added };
}

/** Myers: length of the shortest insert/delete script between a[aOff..aOff+n) and b[bOff..bOff+m). */
function editDistance(a: string[], aOff: number, n: number, b: string[], bOff: number, m: number, maxD: number): number | null {
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[aOff + x] === b[bOff + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return d;
    }
  }
  return null;
}
