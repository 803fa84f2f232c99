import { expect } from 'chai';
import fc from 'fast-check';
import { lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AuditLog } from '../../src/audit/audit-log.js';
import { auditLine, serializeAuditEntry, toAuditEntry, type AuditEntry, type AuditRecord } from '../../src/audit/audit-entry.js';
import { parseSince, readAudit } from '../../src/audit/read-audit.js';
import { AppError } from '../../src/errors/index.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { mountSmallDisk } from '../helpers/tmpfs.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC0xIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

async function lines(file: string): Promise<AuditEntry[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}

describe('audit entries', () => {
  it('auditLine gives exactly the line of serializeAuditEntry(toAuditEntry(…)) for any record', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
      fc.constantFrom(JWT, `Bearer ${JWT}`, 'x'.repeat(1500), '\u202e\u0007"\\'),
    );
    const maybe = fc.option(text, { nil: undefined });
    const record = fc.record(
      {
        request_id: maybe,
        sub: fc.option(text),
        jti: maybe,
        agent_type: maybe,
        project_id: maybe,
        action: text,
        resource: text,
        outcome: fc.constantFrom('intent', 'success', 'denied', 'failure', 'error'),
        status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
        code: maybe,
        remote: maybe,
      },
      { requiredKeys: ['action', 'resource', 'outcome'] },
    );
    fc.assert(
      fc.property(record, fc.integer({ min: 0, max: 4_102_444_800_000 }), (r, now) => {
        expect(auditLine(r, now)).to.equal(serializeAuditEntry(toAuditEntry(r, new Date(now))));
      }),
      { numRuns: 2000 },
    );
    const withDetails: AuditRecord = { action: 'agent.spawn', resource: 'agent:a1', outcome: 'success', details: { token: 'secret', pid: 1 } };
    expect(auditLine(withDetails, 0)).to.equal(serializeAuditEntry(toAuditEntry(withDetails, new Date(0))));
  });

  it('always carries the ten core fields, null when unknown', () => {
    const entry = toAuditEntry({ action: 'agent.kill', resource: 'agent:a1', outcome: 'success' }, new Date('2026-11-23T10:00:00Z'));
    expect(entry).to.deep.equal({
      time: '2026-11-23T10:00:00.000Z',
      request_id: null,
      sub: null,
      jti: null,
      agent_type: null,
      project_id: null,
      action: 'agent.kill',
      resource: 'agent:a1',
      outcome: 'success',
      status: null,
    });
  });

  it('never stores a token or a secret value, only fingerprints', () => {
    const line = serializeAuditEntry(
      toAuditEntry({
        action: 'POST /api/x',
        resource: `/api/x/${JWT}`,
        outcome: 'intent',
        sub: `Bearer ${JWT}`,
        details: { jwt_token: JWT, env: { API_KEY: 'sk-live-123', password: 'hunter2', nested: [`a ${JWT}`] }, private_key: { pem: 'x' } },
      }),
    );
    expect(line).not.to.contain(JWT.split('.')[1]);
    expect(line).not.to.contain('sk-live-123');
    expect(line).not.to.contain('hunter2');
    expect(line).to.match(/sha256:[0-9a-f]{16}/);
    const parsed = JSON.parse(line) as AuditEntry;
    expect(parsed.details!.private_key).to.equal('[redacted]');
  });

  it('escapes control, bidi and invisible characters, and the line still round-trips', () => {
    const hostile = 'a\u0000b\u001b[31mc\u007f\u0085d\u202ee\u2028f\u200bg\ufeffh\r\ni';
    const line = serializeAuditEntry(toAuditEntry({ action: 'x', resource: hostile, outcome: 'failure' }));
    expect(line.endsWith('\n')).to.equal(true);
    expect(line.slice(0, -1)).to.match(/^[\u0020-\u007e]*$/); // printable ASCII only
    expect((JSON.parse(line) as AuditEntry).resource).to.equal(hostile);
  });

  it('keeps a __proto__ key as data without touching prototypes', () => {
    const details = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}') as Record<string, unknown>;
    const line = serializeAuditEntry(toAuditEntry({ action: 'x', resource: 'y', outcome: 'failure', details }));
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(line).to.contain('"__proto__":{"polluted":true}');
  });

  it('bounds long strings', () => {
    const entry = toAuditEntry({ action: 'x', resource: 'r'.repeat(100_000), outcome: 'failure' });
    expect(entry.resource.length).to.be.below(1100);
  });
});

describe('AuditLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('cco-audit-');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('appends JSON lines with mode 0600, group-committing concurrent records', async () => {
    const log = await AuditLog.open({ file: path.join(dir, 'audit.log'), maxFileBytes: 10 * 1024 * 1024, maxFiles: 5 });
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => log.record({ action: 'POST /api/x', resource: `/api/x/${i}`, outcome: 'intent', sub: `s${i % 7}` })),
    );
    await log.close();
    const entries = await lines(path.join(dir, 'audit.log'));
    expect(entries).to.have.length(500);
    expect(new Set(entries.map((e) => e.resource)).size).to.equal(500);
    expect((await stat(path.join(dir, 'audit.log'))).mode & 0o777).to.equal(0o600);
  });

  it('writes a waited-for line at once, taking the deferred lines queued before it, in order', async () => {
    const file = path.join(dir, 'audit.log');
    const log = await AuditLog.open({ file, maxFileBytes: 10 * 1024 * 1024, maxFiles: 5 });
    const deferred = [1, 2, 3].map((i) => log.record({ action: 'POST /api/x', resource: `/d/${i}`, outcome: 'success', status: 202 }, { deferred: true }));
    // Read synchronously: an await would give the deferred flush its turn of the loop.
    const written = (): string[] =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as AuditEntry).resource);
    // Nothing written yet: deferred lines wait for the next line or the next turn of the loop.
    expect(written()).to.deep.equal([]);
    const intent = log.record({ action: 'POST /api/x', resource: '/i/4', outcome: 'intent' });
    // Appended together, synchronously, before the intent's promise is even awaited.
    expect(written()).to.deep.equal(['/d/1', '/d/2', '/d/3', '/i/4']);
    await Promise.all([...deferred, intent]);
    // A deferred line alone goes out within a turn of the event loop.
    const alone = log.record({ action: 'POST /api/x', resource: '/d/5', outcome: 'success', status: 202 }, { deferred: true });
    await new Promise((r) => setImmediate(r));
    await alone;
    expect((await lines(file)).map((e) => e.resource)).to.deep.equal(['/d/1', '/d/2', '/d/3', '/i/4', '/d/5']);
    await log.close();
  });

  it('rotates by size and keeps max_files rotated files, all 0600, none over the limit', async () => {
    const file = path.join(dir, 'audit.log');
    const log = await AuditLog.open({ file, maxFileBytes: 4096, maxFiles: 3 });
    for (let i = 0; i < 200; i++) await log.record({ action: 'POST /api/x', resource: `/api/x/${i}`, outcome: 'success', status: 201 });
    await log.close();
    const names = (await readdir(dir)).sort();
    expect(names).to.deep.equal(['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3']);
    let expected: number | undefined;
    for (const name of ['audit.log.3', 'audit.log.2', 'audit.log.1', 'audit.log']) {
      const st = await stat(path.join(dir, name));
      expect(st.mode & 0o777, name).to.equal(0o600);
      expect(st.size, name).to.be.at.most(4096);
      // The retained history is contiguous: nothing lost between files.
      for (const e of await lines(path.join(dir, name))) {
        const n = Number(e.resource.split('/').pop());
        if (expected !== undefined) expect(n).to.equal(expected);
        expected = n + 1;
      }
    }
    expect(expected).to.equal(200);
  });

  it('refuses a symlink planted at audit.log and tightens an existing world-readable file', async () => {
    await writeFile(path.join(dir, 'target'), '');
    await symlink(path.join(dir, 'target'), path.join(dir, 'audit.log'));
    let err: NodeJS.ErrnoException | undefined;
    await AuditLog.open({ file: path.join(dir, 'audit.log'), maxFileBytes: 4096, maxFiles: 1 }).catch((e: NodeJS.ErrnoException) => {
      err = e;
    });
    expect(err?.code).to.equal('ELOOP');
    expect((await lstat(path.join(dir, 'audit.log'))).isSymbolicLink()).to.equal(true);

    await writeFile(path.join(dir, 'open.log'), '', { mode: 0o644 });
    const log = await AuditLog.open({ file: path.join(dir, 'open.log'), maxFileBytes: 4096, maxFiles: 1 });
    await log.close();
    expect((await stat(path.join(dir, 'open.log'))).mode & 0o777).to.equal(0o600);
  });

  it('rejects records once closed with 503 AUD_001', async () => {
    const log = await AuditLog.open({ file: path.join(dir, 'audit.log'), maxFileBytes: 4096, maxFiles: 1 });
    await log.close();
    const err = await log.record({ action: 'x', resource: 'y', outcome: 'intent' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AppError);
    expect(err).to.include({ status: 503, code: 'AUD_001' });
  });

  it('on a full disk refuses with 507 STR_001, leaves no torn line, and writes again once space is back', async function () {
    const disk = await mountSmallDisk(1);
    if ('unavailable' in disk) return this.skip();
    try {
      const file = path.join(disk.dir, 'audit.log');
      const log = await AuditLog.open({ file, maxFileBytes: 10 * 1024 * 1024, maxFiles: 1 });
      await log.record({ action: 'before', resource: 'r', outcome: 'success' });
      await disk.fill();
      // Big enough to need new blocks whatever is left in the last one.
      const big = { details: { blob: 'x'.repeat(900) } };
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => log.record({ action: 'full', resource: `r${i}`, outcome: 'intent', ...big })),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused.length).to.be.above(0);
      expect((refused[0] as PromiseRejectedResult).reason).to.include({ status: 507, code: 'STR_001' });
      expect(log.health()).to.equal('degraded');
      for (const e of await lines(file)) expect(e.action).to.be.oneOf(['before', 'full']); // every line parses
      await disk.release();
      await log.record({ action: 'after', resource: 'r', outcome: 'success' });
      expect(log.health()).to.equal('ok');
      await log.close();
      const actions = (await lines(file)).map((e) => e.action);
      expect(actions[0]).to.equal('before');
      expect(actions.at(-1)).to.equal('after');
    } finally {
      await disk.unmount();
    }
  });
});

describe('readAudit', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('cco-audit-read-');
    const log = await AuditLog.open({ file: path.join(dir, 'audit.log'), maxFileBytes: 2048, maxFiles: 10 });
    for (let i = 0; i < 60; i++) {
      await log.record({ action: 'POST /api/x', resource: `/api/x/${i}`, outcome: i % 3 === 0 ? 'denied' : 'success', sub: `agent-${i % 2}` });
    }
    await log.close();
  });
  after(async () => {
    await removeDir(dir);
  });

  it('reads rotated files oldest first and filters by sub, outcome and limit', async () => {
    const all = await readAudit(dir, { limit: 1000 });
    expect(all.files.length).to.be.above(2);
    expect(all.entries.map((e) => e.resource)).to.deep.equal(Array.from({ length: 60 }, (_, i) => `/api/x/${i}`));
    const denied = await readAudit(dir, { outcome: 'denied', sub: 'agent-0', limit: 3 });
    expect(denied.matched).to.equal(10);
    expect(denied.entries.map((e) => e.resource)).to.deep.equal(['/api/x/42', '/api/x/48', '/api/x/54']);
    expect(denied.unreadable_lines).to.equal(0);
  });

  it('filters by time and parses relative ages', async () => {
    expect((await readAudit(dir, { since: new Date(Date.now() + 60_000) })).matched).to.equal(0);
    expect((await readAudit(dir, { since: parseSince('1h')! })).matched).to.equal(60);
    expect(parseSince('15m', 1_000_000_000)!.getTime()).to.equal(1_000_000_000 - 900_000);
    expect(parseSince('2026-11-23T10:00:00Z')!.toISOString()).to.equal('2026-11-23T10:00:00.000Z');
    expect(parseSince('yesterday')).to.equal(undefined);
  });

  it('answers an empty result for a storage dir without a log', async () => {
    expect(await readAudit(path.join(dir, 'missing'))).to.deep.equal({ entries: [], matched: 0, unreadable_lines: 0, files: [] });
  });
});
