import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectContractError } from '../helpers/contract.js';
import { sendRaw } from '../helpers/raw-socket.js';

/** Issue 15 item 6: requests refused before authentication leave an audit line; the listen backlog. */
describe('security: audit of requests refused before authentication', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ config: { http: { headers_timeout_ms: 400, request_timeout_ms: 800 } } });
  });
  after(async () => {
    await s.stop();
  });

  async function auditLines(): Promise<AuditEntry[]> {
    // Refusal lines are deferred by at most one turn of the event loop and a batched write.
    await new Promise((resolve) => setTimeout(resolve, 150));
    return (await readFile(path.join(s.storage, 'audit.log'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);
  }
  const lineFor = (lines: AuditEntry[], status: number, resource: string): AuditEntry | undefined =>
    lines.find((l) => l.status === status && l.resource === resource);

  it('records 431 (oversized Authorization) and 414 (URL over the header limit) with remote, path and code', async () => {
    const big = await sendRaw(s.handle.port, `GET /api/results?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`);
    expectContractError(big, 431, 'REQ_006');
    const longUrl = await sendRaw(s.handle.port, `GET /api/${'u'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expectContractError(longUrl, 414, 'REQ_005');
    const lines = await auditLines();
    const headers = lineFor(lines, 431, '/api/results');
    expect(headers, JSON.stringify(lines.slice(-3))).to.deep.include({
      action: 'http.refused',
      outcome: 'failure',
      code: 'REQ_006',
      remote: '127.0.0.1',
      sub: null,
    });
    const url = lines.find((l) => l.status === 414 && l.code === 'REQ_005');
    expect(url?.action).to.equal('http.refused');
    expect(url?.remote).to.equal('127.0.0.1');
    expect(url?.resource.startsWith('/api/uuuu')).to.equal(true);
    expect(JSON.stringify(lines)).not.to.include('a'.repeat(100));
  });

  it('records a URL over max_url_bytes (414 in the app) and a foreign Host (421), for a GET too', async () => {
    expectContractError(await s.request('GET', `/status?q=${'z'.repeat(9_000)}`), 414, 'REQ_005');
    expectContractError(await sendRaw(s.handle.port, 'GET /status HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n'), 421, 'REQ_004');
    const lines = await auditLines();
    expect(lineFor(lines, 414, '/status')).to.deep.include({ outcome: 'failure', code: 'REQ_005', remote: '127.0.0.1', sub: null });
    expect(lineFor(lines, 421, '/status')).to.deep.include({ outcome: 'denied', code: 'REQ_004', remote: '127.0.0.1' });
  });

  it('records a slowloris (408 before the headers: path unknown) and a trickled body (408 with its path)', async () => {
    const [slow, trickle] = await Promise.all([
      sendRaw(s.handle.port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a', 4_000),
      sendRaw(
        s.handle.port,
        `POST /api/events/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${s.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"a":`,
        4_000,
      ),
    ]);
    expectContractError(slow, 408, 'REQ_007');
    expectContractError(trickle, 408, 'REQ_007');
    const lines = (await auditLines()).filter((l) => l.status === 408);
    // Node hands over no bytes of a request whose headers never ended: only the address is known.
    expect(lines.map((l) => l.resource).sort()).to.deep.equal(['(unknown)', '/api/events/slow']);
    for (const line of lines) expect(line).to.deep.include({ action: 'http.refused', code: 'REQ_007', remote: '127.0.0.1' });
  });
});

describe('security: configurable listen backlog', () => {
  /** The accept queue length the kernel reports for a listening socket (`ss` Send-Q). */
  function backlogOf(port: number): number {
    const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
    return Number(out.trim().split(/\s+/)[2]);
  }
  const somaxconn = (): number => Number(execFileSync('cat', ['/proc/sys/net/core/somaxconn'], { encoding: 'utf8' }));

  it('listens with http.listen_backlog, 8,192 by default (capped by net.core.somaxconn)', async () => {
    const custom = await startTestServer({ config: { http: { listen_backlog: 1_234 } } });
    const plain = await startTestServer();
    try {
      expect(backlogOf(custom.handle.port)).to.equal(Math.min(1_234, somaxconn()));
      expect(backlogOf(plain.handle.port)).to.equal(Math.min(8_192, somaxconn()));
      expect(plain.config.http.listen_backlog).to.equal(8_192);
    } finally {
      await custom.stop();
      await plain.stop();
    }
  });
});
