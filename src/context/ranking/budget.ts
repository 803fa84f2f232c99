import { headTail, MIN_SLICE_BYTES } from './truncate.js';

export type Strategy = 'smart' | 'file_sampling' | 'none';

export interface BudgetItem {
  text: string;
  bytes: number;
}

export interface Placed {
  /** Index into the input list (rank order). */
  index: number;
  text: string;
  bytes: number;
  truncated: boolean;
}

export interface BudgetResult {
  placed: Placed[];
  /** Something was cut or dropped to fit the budget. */
  truncated: boolean;
  totalBytes: number;
  dropped: number;
}

/**
 * Fit ranked file contents into `maxBytes`.
 *
 * - `smart`: keep files whole in rank order; while over budget, first cut the largest file
 *   above a per-file cap (budget / 8, at least 8 KiB) to head + tail, then drop the lowest
 *   ranked file. Large files never crowd out the top of the ranking.
 * - `file_sampling`: breadth first: every file gets an equal share (water-filling: small files
 *   keep their size, large ones are cut to the common cap); when the share would fall below a
 *   useful slice, the lowest ranked files are dropped.
 * - `none`: no cutting; whole files in rank order, skipping those that do not fit.
 *
 * @example fitBudget(items, 512 * 1024, 'smart').placed
 */
export function fitBudget(items: readonly BudgetItem[], maxBytes: number, strategy: Strategy): BudgetResult {
  if (strategy === 'none') return fitNone(items, maxBytes);
  if (strategy === 'file_sampling') return fitSampling(items, maxBytes);
  return fitSmart(items, maxBytes);
}

function fitNone(items: readonly BudgetItem[], maxBytes: number): BudgetResult {
  const placed: Placed[] = [];
  let total = 0;
  let dropped = 0;
  items.forEach((it, index) => {
    if (total + it.bytes <= maxBytes) {
      placed.push({ index, text: it.text, bytes: it.bytes, truncated: false });
      total += it.bytes;
    } else dropped++;
  });
  return { placed, truncated: dropped > 0, totalBytes: total, dropped };
}

function fitSmart(items: readonly BudgetItem[], maxBytes: number): BudgetResult {
  // No single file may take more than an eighth of the budget while others are being dropped
  // (small budgets: half of it, at most 8 KiB); what is left at the end goes back to cut files.
  const perFileCap = Math.max(Math.floor(maxBytes / 8), Math.min(8 * 1024, Math.floor(maxBytes / 2)));
  const sizes = items.map((it) => it.bytes);
  const cut = items.map(() => false);
  let count = items.length;
  let total = sizes.reduce((a, b) => a + b, 0);
  while (total > maxBytes && count > 0) {
    let largest = -1;
    for (let i = 0; i < count; i++) if (!cut[i] && sizes[i]! > perFileCap && (largest < 0 || sizes[i]! > sizes[largest]!)) largest = i;
    if (largest >= 0) {
      total -= sizes[largest]! - perFileCap;
      sizes[largest] = perFileCap;
      cut[largest] = true;
      continue;
    }
    count--;
    total -= sizes[count]!;
  }
  // A single file larger than the whole budget: cut it to the budget.
  if (count === 0 && items.length > 0 && maxBytes >= MIN_SLICE_BYTES) {
    count = 1;
    sizes[0] = maxBytes;
    cut[0] = items[0]!.bytes > maxBytes;
  }
  // Give the unused budget back to the cut files, best ranked first.
  let leftover = maxBytes;
  for (let i = 0; i < count; i++) leftover -= sizes[i]!;
  for (let i = 0; i < count && leftover > 0; i++) {
    if (!cut[i]) continue;
    const extra = Math.min(leftover, items[i]!.bytes - sizes[i]!);
    sizes[i] = sizes[i]! + extra;
    leftover -= extra;
    if (sizes[i] === items[i]!.bytes) cut[i] = false;
  }
  return place(items, count, (i) => (cut[i] ? sizes[i]! : Infinity), maxBytes);
}

/**
 * Place the first `count` items: whole when they fit their cap, else head and tail cut to the
 * cap (never below MIN_SLICE_BYTES, never past the total budget).
 */
function place(items: readonly BudgetItem[], count: number, capOf: (index: number) => number, maxBytes: number): BudgetResult {
  const placed: Placed[] = [];
  let used = 0;
  for (let i = 0; i < count; i++) {
    const it = items[i]!;
    const cap = capOf(i);
    if (it.bytes <= cap) {
      placed.push({ index: i, text: it.text, bytes: it.bytes, truncated: false });
      used += it.bytes;
      continue;
    }
    const room = Math.min(Math.floor(cap), maxBytes - used);
    if (room < MIN_SLICE_BYTES) continue;
    const t = headTail(it.text, room, it.bytes);
    placed.push({ index: i, text: t.text, bytes: t.bytes, truncated: t.truncated });
    used += t.bytes;
  }
  const dropped = items.length - placed.length;
  return { placed, truncated: dropped > 0 || placed.some((p) => p.truncated), totalBytes: used, dropped };
}

function fitSampling(items: readonly BudgetItem[], maxBytes: number): BudgetResult {
  let count = items.length;
  let cap = Infinity;
  for (; count > 0; count--) {
    cap = waterLevel(
      items.slice(0, count).map((i) => i.bytes),
      maxBytes,
    );
    if (cap >= MIN_SLICE_BYTES || cap === Infinity) break;
  }
  return place(items, count, () => cap, maxBytes);
}

/** Largest c with Σ min(size, c) ≤ budget (Infinity when everything fits). */
export function waterLevel(sizes: readonly number[], budget: number): number {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= budget) return Infinity;
  const sorted = [...sizes].sort((a, b) => a - b);
  let remaining = budget;
  for (let i = 0; i < sorted.length; i++) {
    const share = remaining / (sorted.length - i);
    if (sorted[i]! >= share) return Math.floor(share);
    remaining -= sorted[i]!;
  }
  return Infinity;
}
