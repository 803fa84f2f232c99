import { expect } from 'chai';
import { fitBudget, waterLevel } from '../../src/context/ranking/budget.js';
import { headTail, MIN_SLICE_BYTES } from '../../src/context/ranking/truncate.js';

const lines = (n: number, width = 20): string => Array.from({ length: n }, (_, i) => `line ${String(i).padStart(5, '0')} ${'x'.repeat(width)}`).join('\n');
const item = (text: string) => ({ text, bytes: Buffer.byteLength(text) });

describe('context/truncate', () => {
  it('returns short text unchanged', () => {
    const t = headTail('a\nb\n', 100);
    expect(t).to.deep.equal({ text: 'a\nb\n', bytes: 4, truncated: false, omittedLines: 0, omittedBytes: 0 });
  });

  it('keeps head and tail at line boundaries with a marker of what was cut', () => {
    const text = lines(1000);
    const t = headTail(text, 4096);
    expect(t.truncated).to.equal(true);
    expect(t.bytes).to.be.at.most(4096);
    expect(t.bytes).to.equal(Buffer.byteLength(t.text));
    expect(t.text.startsWith('line 00000')).to.equal(true);
    expect(t.text.endsWith('line 00999 ' + 'x'.repeat(20))).to.equal(true);
    expect(t.text).to.match(/… \[cco: truncated \d+ lines \(\d+ bytes\) of 1000\] …/);
    const head = t.text.split('\n').filter((l) => l.startsWith('line')).length;
    expect(head + t.omittedLines).to.equal(1000);
  });

  it('cuts a single huge line by characters, multi-byte safe', () => {
    const text = 'é'.repeat(50_000);
    const t = headTail(text, 2000);
    expect(t.truncated).to.equal(true);
    expect(t.bytes).to.be.at.most(2000);
    expect(t.text).to.include('[cco: truncated');
    expect(t.text).to.not.include('\uFFFD');
  });
});

describe('context/budget', () => {
  it('smart: keeps everything when it fits', () => {
    const r = fitBudget([item('a'), item('b')], 100, 'smart');
    expect(r.truncated).to.equal(false);
    expect(r.placed.map((p) => p.index)).to.deep.equal([0, 1]);
  });

  it('smart: cuts the largest file to head+tail before dropping anything, and uses the budget left', () => {
    const big = item(lines(5000));
    const small = [item('small one'), item('small two')];
    const r = fitBudget([small[0]!, big, small[1]!], 64 * 1024, 'smart');
    expect(r.placed.map((p) => p.index)).to.deep.equal([0, 1, 2]);
    expect(r.placed[1]!.truncated).to.equal(true);
    expect(r.totalBytes).to.be.at.most(64 * 1024);
    expect(r.totalBytes).to.be.at.least(60 * 1024);
    expect(r.truncated).to.equal(true);
  });

  it('smart: a small budget still keeps head and tail of a large file', () => {
    const r = fitBudget([item('def main(): pass\n'), item(lines(3000))], 4096, 'smart');
    expect(r.placed.map((p) => [p.index, p.truncated])).to.deep.equal([
      [0, false],
      [1, true],
    ]);
    expect(r.totalBytes).to.be.at.most(4096).and.at.least(3000);
  });

  it('smart: drops the lowest ranked files when cutting is not enough', () => {
    const files = Array.from({ length: 20 }, () => item(lines(150)));
    const r = fitBudget(files, 20_000, 'smart');
    expect(r.totalBytes).to.be.at.most(20_000);
    const idx = r.placed.map((p) => p.index);
    expect(idx[0]).to.equal(0);
    expect(idx).to.deep.equal([...idx].sort((a, b) => a - b));
    expect(r.dropped).to.be.greaterThan(0);
    expect(idx).to.not.include(19);
  });

  it('smart: a single file larger than the budget is cut to the budget', () => {
    const r = fitBudget([item(lines(10_000))], 4096, 'smart');
    expect(r.placed).to.have.length(1);
    expect(r.placed[0]!.bytes).to.be.at.most(4096);
  });

  it('file_sampling: gives every file an equal share', () => {
    const files = [item(lines(2000)), item(lines(2000)), item('tiny'), item(lines(2000))];
    const r = fitBudget(files, 30_000, 'file_sampling');
    expect(r.placed).to.have.length(4);
    expect(r.placed[2]!.truncated).to.equal(false);
    const cut = r.placed.filter((p) => p.truncated).map((p) => p.bytes);
    expect(Math.max(...cut) - Math.min(...cut)).to.be.lessThan(200);
    expect(r.totalBytes).to.be.at.most(30_000);
  });

  it('file_sampling: drops the lowest ranked when the share would be too small', () => {
    const files = Array.from({ length: 50 }, () => item(lines(500)));
    const r = fitBudget(files, 10 * MIN_SLICE_BYTES, 'file_sampling');
    expect(r.placed.length).to.be.lessThan(50).and.greaterThan(0);
    expect(r.placed.every((p) => p.bytes >= MIN_SLICE_BYTES / 2)).to.equal(true);
    expect(r.totalBytes).to.be.at.most(10 * MIN_SLICE_BYTES);
    expect(r.placed.map((p) => p.index)).to.deep.equal(r.placed.map((_, i) => i));
  });

  it('none: never cuts, skips what does not fit', () => {
    const r = fitBudget([item('x'.repeat(600)), item('y'.repeat(500)), item('z'.repeat(300))], 1000, 'none');
    expect(r.placed.map((p) => p.index)).to.deep.equal([0, 2]);
    expect(r.placed.every((p) => !p.truncated)).to.equal(true);
    expect(r.truncated).to.equal(true);
  });

  it('waterLevel finds the common cap', () => {
    expect(waterLevel([10, 10], 100)).to.equal(Infinity);
    expect(waterLevel([10, 100, 100], 110)).to.equal(50);
  });
});
