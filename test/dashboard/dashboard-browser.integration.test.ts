import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { hasChromium, launchChromium } from '../helpers/browser.js';
import { DASHBOARD_AGENT_TYPE, DASHBOARD_MANAGE_PERMISSIONS, DASHBOARD_READ_PERMISSIONS } from '../../src/dashboard/dashboard-grants.js';

/** Screenshots of the run, kept outside the work tree (never committed by accident). */
export const SCREENSHOT_DIR = path.join(os.tmpdir(), 'cco-dashboard-screenshots');

// An agent that logs a line at once and then keeps running until it is stopped.
const AGENT_SCRIPT = "console.log('hello from the agent'); setInterval(() => console.log('still working'), 300);";

interface Watched {
  page: Page;
  errors: string[];
  urls: string[];
}

describe('dashboard in a real browser (Chromium headless)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;
  let token: string;

  before(async function () {
    if (!hasChromium()) throw new Error('/usr/bin/chromium is missing: apt-get install -y chromium (.ci/run does)');
    server = await startTestServer({
      config: {
        agents: {
          'python-specialist': { command: process.execPath, args: ['-e', AGENT_SCRIPT] },
          // A small process for the 119-agent view (119 Node processes would not fit beside the suite).
          'sleepy-worker': { command: '/bin/sleep', args: ['60'] },
        },
        agent_kill_grace_seconds: 0.5,
        max_concurrent_agents: 130,
        agent_nice: 0,
      },
    });
    token = (
      await server.handle.deps.tokens.mint({
        sub: DASHBOARD_AGENT_TYPE,
        agent_type: DASHBOARD_AGENT_TYPE,
        project_id: server.config.project_id,
        permissions: [...DASHBOARD_MANAGE_PERMISSIONS],
        ttl_seconds: 3600,
      })
    ).token;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A fresh tab that records console errors, page errors and every request URL. */
  async function open(hash: string): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const urls: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // Panels probe routes that may not exist on this sidecar yet (issues, leases, gates): their
      // 404 is how the page learns to hide them, and Chromium logs it. Nothing else may fail.
      const url = msg.location().url;
      if (/\/api\/(issues|leases|gates)(\?|$)/.test(url) && /404|405/.test(msg.text())) return;
      errors.push(`${msg.text()} @ ${url}`);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('request', (req) => urls.push(req.url()));
    await page.goto(`${server.url}/dashboard${hash}`);
    return { page, errors, urls };
  }

  const admin = (method: string, p: string, body?: unknown) => server.request(method, p, { token: server.adminToken, ...(body ? { body } : {}) });

  it('without a token explains how to get one', async () => {
    const { page, errors } = await open('');
    await page.locator('#no-token').waitFor({ state: 'visible' });
    const text = await page.locator('#no-token').innerText();
    expect(text).to.contain('cco orchestration dashboard');
    expect(await page.locator('#app').isHidden()).to.equal(true);
    // The CSP is in force in the page: an inline script is refused (and that refusal is the only console error).
    const ran = await page.evaluate(() => {
      const g = globalThis as unknown as { document: any; inlineRan?: number };
      const script = g.document.createElement('script');
      script.textContent = 'globalThis.inlineRan = 1';
      g.document.body.append(script);
      return g.inlineRan ?? 0;
    });
    expect(ran).to.equal(0);
    await page.waitForTimeout(100);
    expect(errors.filter((e) => e.includes('Content Security Policy'))).to.have.length(1);
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('Content Security Policy')));
    expect(errors).to.deep.equal([]);
    await page.context().close();
  });

  it('shows a spawned agent, a published event and a stored result live, without reload, and no console error under its CSP', async () => {
    const { page, errors, urls } = await open(`#token=${token}`);
    await page.locator('#stream-state', { hasText: 'live' }).waitFor();
    // The token left the address bar and lives in this tab's sessionStorage.
    expect(page.url()).to.equal(`${server.url}/dashboard`);
    expect(await page.evaluate("sessionStorage.getItem('cco.dashboard.token')")).to.equal(token);
    await page.evaluate('window.marker = 42');

    const spawned = await admin('POST', '/api/agents/spawn', { agent_type: 'python-specialist', issue_id: 'DASH-1', task: 'show me' });
    expect(spawned.status).to.equal(201);
    const row = page.locator(`tr[data-agent="${spawned.body.agent_id}"]`);
    await row.locator('.s-running').waitFor();
    expect(await row.innerText()).to.contain('DASH-1');

    // The spawn's task created the issue (spec §6): the issues panel lists it, and an issue put
    // afterwards appears live through its issue_updated event.
    await page.locator('#panel-issues tr', { hasText: 'DASH-1' }).filter({ hasText: 'show me' }).waitFor();
    const put = await admin('PUT', '/api/issues/DASH-9', { title: 'Shown live', labels: ['ui', 'p2'] });
    expect(put.status).to.equal(201);
    expect(await page.locator('#panel-issues tr', { hasText: 'Shown live' }).filter({ hasText: 'ui, p2' }).innerText({ timeout: 5_000 })).to.contain('DASH-9');

    await row.getByRole('button', { name: 'logs' }).click();
    await page.locator('.log-row pre', { hasText: 'hello from the agent' }).waitFor();

    const published = await admin('POST', '/api/events/build_finished', { topic: 'ci', data: { commit: 'abc123' } });
    await page.locator(`tr[data-event="${published.body.event_id}"]`, { hasText: 'build_finished' }).waitFor();

    const stored = await admin('POST', '/api/results', {
      agent_id: 'py-7',
      agent_type: 'python-specialist',
      issue_id: 'DASH-1',
      result: { status: 'success' },
    });
    expect(stored.status).to.equal(201);
    const result = page.locator(`[data-issue="DASH-1"] tr[data-result="${stored.body.id}"]`);
    await result.waitFor();
    expect(await result.innerText()).to.contain('→ test-engineer (high)');

    // The health panel has drawn its counters.
    await page.locator('#health-status', { hasText: 'healthy' }).waitFor();
    expect(await page.evaluate('window.marker')).to.equal(42);

    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'dashboard.png'), fullPage: false });

    expect(errors).to.deep.equal([]);
    expect(urls.filter((u) => u.includes(token) || /token=/.test(u))).to.deep.equal([]);
    expect(urls.some((u) => u.endsWith('/api/events/stream'))).to.equal(true);
    await page.context().close();
    await admin('DELETE', `/api/agents/${spawned.body.agent_id}?force=true`);
  });

  it('shows leases and gates live: a lease appears and goes, a gate turns open when its result is stored', async () => {
    const { page, errors } = await open(`#token=${token}`);
    await page.locator('#stream-state', { hasText: 'live' }).waitFor();
    const lease = await admin('POST', '/api/leases', { paths: ['src/dash.py'], ttl_seconds: 120, reason: 'dashboard test' });
    expect(lease.status).to.equal(201);
    const leaseRow = page.locator('#leases-table tbody tr', { hasText: 'src/dash.py' });
    await leaseRow.waitFor();
    expect(await leaseRow.innerText()).to.contain('operator');

    const gate = await admin('POST', '/api/gates', { gate_id: 'g-dash', issue_id: 'DASH-3', expect: [{ agent_type: 'test-engineer' }] });
    expect(gate.status).to.equal(201);
    const stored = await admin('POST', '/api/results', { agent_id: 'te-3', agent_type: 'test-engineer', issue_id: 'DASH-3', result: { status: 'success' } });
    expect(stored.status).to.equal(201);
    await page.locator('#gates-table tbody tr', { hasText: 'g-dash' }).filter({ hasText: 'open' }).waitFor();

    expect((await admin('DELETE', `/api/leases/${lease.body.lease_id}`)).status).to.equal(200);
    await leaseRow.waitFor({ state: 'detached' });
    expect(errors).to.deep.equal([]);
    await page.context().close();
  });

  it('stops an agent with its kill button', async () => {
    const spawned = await admin('POST', '/api/agents/spawn', { agent_type: 'python-specialist', issue_id: 'DASH-2', task: 'stop me' });
    const { page, errors } = await open(`#token=${token}`);
    const row = page.locator(`tr[data-agent="${spawned.body.agent_id}"]`);
    await row.locator('.s-running').waitFor();
    const kill = row.getByRole('button', { name: 'kill' });
    await kill.click();
    await row.getByRole('button', { name: 'confirm kill' }).click();
    await row.locator('.s-killed').waitFor({ timeout: 10_000 });
    const status = await admin('GET', `/api/agents/${spawned.body.agent_id}/status`);
    expect(status.body.status).to.equal('killed');
    expect(errors).to.deep.equal([]);
    await page.context().close();
  });

  it('offers no kill button to a read-only token and says why the agents are not listed', async () => {
    const readOnly = (
      await server.handle.deps.tokens.mint({
        sub: DASHBOARD_AGENT_TYPE,
        agent_type: DASHBOARD_AGENT_TYPE,
        project_id: server.config.project_id,
        permissions: [...DASHBOARD_READ_PERMISSIONS],
        ttl_seconds: 600,
      })
    ).token;
    const { page, errors } = await open(`#token=${readOnly}`);
    await page.locator('#agents-note', { hasText: 'manage_agents' }).waitFor();
    expect(await page.getByRole('button', { name: 'kill' }).count()).to.equal(0);
    await page.locator('#stream-state', { hasText: 'live' }).waitFor();
    expect(errors).to.deep.equal([]);
    await page.context().close();
  });

  it('lists 119 running agents at once, each with its kill button', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 119; i += 17) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(17, 119 - i) }, (_x, j) =>
          admin('POST', '/api/agents/spawn', { agent_type: 'sleepy-worker', issue_id: `MANY-${i + j}`, task: 'wait' }),
        ),
      );
      for (const r of batch) {
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        ids.push(r.body.agent_id as string);
      }
    }
    const { page, errors } = await open(`#token=${token}`);
    try {
      await page.locator(`tr[data-agent="${ids[0]}"] .s-running`).waitFor({ timeout: 30_000 });
      await page.locator(`tr[data-agent="${ids[118]}"] .s-running`).waitFor({ timeout: 30_000 });
      const rows = await page
        .locator('#agents-table tr[data-agent]')
        .evaluateAll((trs) => trs.filter((tr) => tr.getAttribute('data-agent')!.length > 0).length);
      expect(rows).to.be.at.least(119);
      expect(await page.locator('#agents-table tr[data-agent] button.danger:visible').count()).to.be.at.least(119);
      expect(errors).to.deep.equal([]);
    } finally {
      await page.context().close();
      await Promise.all(ids.map((id) => admin('DELETE', `/api/agents/${id}?force=true`)));
    }
  });

  it('reads 10,000 buffered events without consuming them and draws 500 rows', async () => {
    const bus = server.handle.deps.bus;
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_x, j) => bus.publish({ event_type: 'bulk_evt', publisher: 'bench', data: { n: i + j } })));
    }
    const deliveredBefore = bus.stats().total_delivered;
    const { page, errors } = await open(`#token=${token}`);
    await page.locator('#events-count', { hasText: /^1\d{4} received$/ }).waitFor({ timeout: 20_000 });
    // The page read the buffer with the list route: opening it delivered nothing (dead letters stay dead letters).
    expect(bus.stats().total_delivered).to.equal(deliveredBefore);
    expect(await page.locator('#events-table tbody tr').count()).to.equal(500);
    const newest = await page.locator('#events-table tbody tr').first().innerText();
    expect(newest).to.contain('"n":9999');
    await page.fill('#filter-type', 'build_finished');
    await page.locator('#events-table tbody tr').first().waitFor();
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#events-table tbody tr')
          .length < 500,
    );
    expect(errors).to.deep.equal([]);
    await page.context().close();
  });
});
