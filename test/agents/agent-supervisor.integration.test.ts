import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AgentSupervisor } from '../../src/agents/agent-supervisor.js';
import { readBootId, readProcStat } from '../../src/agents/proc-stat.js';
import type { AgentRecord } from '../../src/agents/types.js';
import { AppError } from '../../src/errors/index.js';
import { ADMIN_CALLER, alive, createHarness, groupMembers, until, type Harness } from './helpers.js';

async function exists(file: string): Promise<boolean> {
  return fsp.access(file).then(
    () => true,
    () => false,
  );
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('agents/supervisor (real processes)', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('runs an agent with the documented env, whole argv elements, cwd = project root and a 0600 context file', async () => {
    const sup = h.make({
      agent_nice: 19,
      agents: {
        'fixture-agent': {
          command: process.execPath,
          args: [h.fixture, 'report', path.join(h.dir, 'report.json'), '{task}', '{issue_id}'],
          env: { MODEL: 'm1' },
        },
      },
    });
    await sup.start();
    const task = `fix "quotes" and 'singles'; rm -rf / && echo $(id) \`x\` > /tmp/pwn {issue_id}`;
    const res = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'ISSUE-7', task, environment: { FEATURE: 'on' } }, ADMIN_CALLER);
    expect(res).to.include({ spawned: true, status: 'running', context_injected: false, jwt_token: `token-for-${res.agent_id}` });
    expect(res.process_id).to.be.a('number');
    expect(res.webhook_url).to.equal(`/api/agents/${res.agent_id}/status`);
    const end = await sup.waitForEnd(res.agent_id);
    expect(end.status).to.equal('completed');
    expect(end.exit_code).to.equal(0);

    const report = JSON.parse(await fsp.readFile(path.join(h.dir, 'report.json'), 'utf8'));
    expect(report.argv).to.deep.equal(['report', path.join(h.dir, 'report.json'), task, 'ISSUE-7']);
    expect(report.cwd).to.equal(await fsp.realpath(h.root));
    expect(report.context_mode).to.equal(0o600);
    // Agents run niced (agent_nice) so a busy machine still serves the sidecar first.
    expect(report.nice).to.equal(19);
    expect(report.autogroup).to.match(/nice 19$|^none$/);
    expect(report.context).to.include({ agent_id: res.agent_id, issue_id: 'ISSUE-7', agent_type: 'fixture-agent', task, context_injected: false });
    const contextFile = path.join(h.storage, 'agents', res.agent_id, 'context.json');
    expect(report.env).to.deep.equal({
      PATH: '/usr/bin:/bin',
      HOME: '/home/x',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      MODEL: 'm1',
      FEATURE: 'on',
      AGENT_ID: res.agent_id,
      AGENT_TYPE: 'fixture-agent',
      ISSUE_ID: 'ISSUE-7',
      PROJECT_ID: 'proj',
      SIDECAR_URL: 'http://127.0.0.1:1/api',
      JWT_TOKEN: `token-for-${res.agent_id}`,
      TASK: task,
      CONTEXT_FILE: contextFile,
      PROJECT_ROOT: h.root,
      CCO_MCP_CONFIG: path.join(h.storage, 'agents', res.agent_id, 'mcp.json'),
      CCO_AGENT_MARK: res.agent_id,
    });
    // Removed after the exit; the shell metacharacters never ran.
    expect(await exists(contextFile)).to.equal(false);
    expect(await exists('/tmp/pwn')).to.equal(false);

    const state = JSON.parse(await fsp.readFile(path.join(h.storage, 'agents', res.agent_id, 'state.json'), 'utf8')) as AgentRecord;
    expect(state).to.include({ status: 'completed', exit_code: 0, process_id: res.process_id, issue_id: 'ISSUE-7', task });
    expect(state.process_start_ticks).to.be.a('number');
    expect(state.duration_ms).to.be.a('number');
    expect(JSON.stringify(state)).not.to.include('token-for');
    expect((await fsp.stat(path.join(h.storage, 'agents', res.agent_id, 'state.json'))).mode & 0o777).to.equal(0o600);

    await until(() => h.events.length === 2);
    expect(h.events.map((e) => [e.event_type, e.topic, e.data.agent_id, e.data.exit_code])).to.deep.equal([
      ['agent_spawned', 'coordination', res.agent_id, null],
      ['agent_completed', 'coordination', res.agent_id, 0],
    ]);
    expect(h.minted[0]).to.deep.include({ sub: res.agent_id, agent_type: 'fixture-agent', project_id: 'proj', issue_id: 'ISSUE-7' });
  });

  it('records a failing agent with its exit code, logs and an agent_failed event', async () => {
    const sup2 = h.make({ agents: { 'fixture-agent': { command: process.execPath, args: [h.fixture, 'exit', '3'] } } });
    await sup2.start();
    const bad = await sup2.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER);
    const end = await sup2.waitForEnd(bad.agent_id);
    expect(end).to.include({ status: 'failed', exit_code: 3, signal: null, reason: 'exit code 3' });
    const out = await sup2.readLogs(bad.agent_id, 'stdout');
    const err = await sup2.readLogs(bad.agent_id, 'stderr', { tail: 10 });
    expect(out.lines).to.deep.equal(['out line']);
    expect(err.lines).to.deep.equal(['err line']);
    expect(err.final).to.equal(true);
    await until(() => h.events.some((e) => e.event_type === 'agent_failed' && e.data.agent_id === bad.agent_id));
    const failed = h.events.find((e) => e.event_type === 'agent_failed' && e.data.agent_id === bad.agent_id);
    expect(failed?.data).to.include({ agent_type: 'fixture-agent', issue_id: 'I-1', exit_code: 3, status: 'failed' });
    expect(sup2.stats()).to.deep.include({ active: 0, queued: 0, completed: 0, failed: 1, spawned_total: 1, by_type: { 'fixture-agent': 1 } });
  });

  it('answers 500 AGT_001 when the command does not exist, and 400 AGT_002 for an unconfigured type', async () => {
    const sup = h.make({ agents: { 'ghost-agent': { command: '/nonexistent/agent-binary' } } });
    await sup.start();
    const err = await rejection(sup.spawn({ agent_type: 'ghost-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER));
    expect(err.status).to.equal(500);
    expect(err.code).to.equal('AGT_001');
    const [rec] = sup.list();
    expect(rec).to.include({ status: 'failed', agent_type: 'ghost-agent' });
    const unknown = await rejection(sup.spawn({ agent_type: 'nobody', issue_id: 'I-1', task: 't' }, ADMIN_CALLER));
    expect([unknown.status, unknown.code]).to.deep.equal([400, 'AGT_002']);
  });

  it('refuses dangerous environment keys before anything starts', async () => {
    const sup = h.make();
    await sup.start();
    const err = await rejection(
      sup.spawn(
        {
          agent_type: 'fixture-agent',
          issue_id: 'I-1',
          task: 't',
          environment: { NODE_OPTIONS: '--require /tmp/evil.js', LD_PRELOAD: '/tmp/evil.so', OK: '1' },
        },
        ADMIN_CALLER,
      ),
    );
    expect([err.status, err.code]).to.deep.equal([400, 'REQ_001']);
    expect((err.details.issues as Array<{ path: string }>).map((i) => i.path)).to.deep.equal(['body.environment.NODE_OPTIONS', 'body.environment.LD_PRELOAD']);
    expect(sup.list()).to.deep.equal([]);
  });

  it('times out: SIGTERM to the group, SIGKILL after the grace for a child that ignores it', async () => {
    const pidfile = path.join(h.dir, 'pids.json');
    const sup = h.make({ agents: { 'fixture-agent': { command: process.execPath, args: [h.fixture, 'stubborn', '60000', pidfile], timeout_seconds: 2 } } });
    await sup.start();
    const res = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER);
    await until(async () => (await fsp.readFile(pidfile, 'utf8').catch(() => '')).length > 0);
    const pids = JSON.parse(await fsp.readFile(pidfile, 'utf8')) as number[];
    const started = Date.now();
    const end = await sup.waitForEnd(res.agent_id);
    expect(end).to.include({ status: 'timed_out', signal: 'SIGKILL', reason: 'timeout' });
    expect(Date.now() - started).to.be.lessThan(8_000);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).to.equal(false);
    expect(groupMembers(res.process_id!)).to.deep.equal([]);
    await until(() => h.events.some((e) => e.event_type === 'agent_failed'));
    expect(h.events.find((e) => e.event_type === 'agent_failed')?.data).to.include({ status: 'timed_out', reason: 'timeout' });
  });

  it('ends the descendants that left the process group (setsid) when the agent exits or is killed, by their inherited marker', async () => {
    const pidfile = path.join(h.dir, 'escaped.json');
    const sup = h.make({
      agent_kill_grace_seconds: 0.3,
      agents: { 'fixture-agent': { command: process.execPath, args: [h.fixture, 'escape', '{task}', pidfile] } },
    });
    await sup.start();
    // Exits by itself after 300 ms, leaving its escaped child behind.
    const done = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '300' }, ADMIN_CALLER);
    await until(async () => (await fsp.readFile(pidfile, 'utf8').catch(() => '')).length > 0);
    const [escaped] = JSON.parse(await fsp.readFile(pidfile, 'utf8')) as number[];
    expect(groupMembers(done.process_id!)).to.not.include(escaped);
    expect((await sup.waitForEnd(done.agent_id)).status).to.equal('completed');
    await until(() => !alive(escaped!));

    await fsp.rm(pidfile);
    const killed = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '60000' }, ADMIN_CALLER);
    await until(async () => (await fsp.readFile(pidfile, 'utf8').catch(() => '')).length > 0);
    const [escaped2] = JSON.parse(await fsp.readFile(pidfile, 'utf8')) as number[];
    expect(alive(escaped2!)).to.equal(true);
    sup.kill(killed.agent_id);
    expect((await sup.waitForEnd(killed.agent_id)).status).to.equal('killed');
    await until(() => !alive(escaped2!));
  });

  it('kills an agent and its grandchildren (no survivor in the group), and force kills at once', async () => {
    const pidfile = path.join(h.dir, 'pids.json');
    const sup = h.make({
      agent_kill_grace_seconds: 0.5,
      agents: { 'fixture-agent': { command: process.execPath, args: [h.fixture, 'stubborn', '60000', pidfile] } },
    });
    await sup.start();
    const res = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER);
    await until(async () => (await fsp.readFile(pidfile, 'utf8').catch(() => '')).length > 0);
    const pids = JSON.parse(await fsp.readFile(pidfile, 'utf8')) as number[];
    expect(groupMembers(res.process_id!)).to.have.members(pids);
    const kill = sup.kill(res.agent_id);
    expect(kill).to.include({ killed: true, signal: 'SIGTERM' });
    const end = await sup.waitForEnd(res.agent_id);
    expect(end).to.include({ status: 'killed', reason: 'killed_by_request' });
    for (const pid of pids) expect(alive(pid)).to.equal(false);
    expect(groupMembers(res.process_id!)).to.deep.equal([]);
    expect(sup.kill(res.agent_id)).to.include({ killed: false, status: 'killed' });

    await fsp.rm(pidfile);
    const res2 = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER);
    await until(async () => (await fsp.readFile(pidfile, 'utf8').catch(() => '')).length > 0);
    expect(sup.kill(res2.agent_id, { force: true })).to.include({ signal: 'SIGKILL' });
    const end2 = await sup.waitForEnd(res2.agent_id);
    // force: the group got SIGKILL as the first and only signal (the kill answer says which was sent).
    expect(end2).to.include({ status: 'killed', signal: 'SIGKILL' });
    expect(groupMembers(res2.process_id!)).to.deep.equal([]);
  });

  it('queues beyond max_concurrent_agents by priority, answers 429 AGT_003 when the queue is full', async () => {
    const sup = h.make({
      max_concurrent_agents: 1,
      agent_queue_size: 3,
      agents: { 'fixture-agent': { command: process.execPath, args: [h.fixture, 'sleep', '{task}'] } },
    });
    await sup.start();
    const first = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '400' }, ADMIN_CALLER);
    const low = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '10', priority: 'low' }, ADMIN_CALLER);
    const normal = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '10' }, ADMIN_CALLER);
    const high = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '10', priority: 'high' }, ADMIN_CALLER);
    expect([first.status, low.status, normal.status, high.status]).to.deep.equal(['running', 'queued', 'queued', 'queued']);
    expect([low.queue_position, normal.queue_position, high.queue_position]).to.deep.equal([1, 1, 1]);
    expect(low.process_id).to.equal(null);
    expect(sup.stats()).to.include({ active: 1, queued: 3 });
    const full = await rejection(sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '10' }, ADMIN_CALLER));
    expect([full.status, full.code]).to.deep.equal([429, 'AGT_003']);

    const ends = await Promise.all([first, high, normal, low].map((r) => sup.waitForEnd(r.agent_id)));
    expect(ends.map((e) => e.status)).to.deep.equal(['completed', 'completed', 'completed', 'completed']);
    const order = ends.map((e) => e.started_at!);
    expect([...order].sort()).to.deep.equal(order);
    // A queued agent gets a fresh token when it starts.
    expect(h.minted.filter((m) => m.sub === low.agent_id)).to.have.length(2);
  });

  it('kills a queued agent without starting it', async () => {
    const sup = h.make({ max_concurrent_agents: 1, agents: { 'fixture-agent': { command: process.execPath, args: [h.fixture, 'sleep', '{task}'] } } });
    await sup.start();
    const first = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '300' }, ADMIN_CALLER);
    const queued = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: '10' }, ADMIN_CALLER);
    expect(sup.kill(queued.agent_id)).to.include({ killed: true, status: 'killed', signal: null });
    expect((await sup.waitForEnd(queued.agent_id)).process_id).to.equal(null);
    await sup.waitForEnd(first.agent_id);
    expect(sup.get(queued.agent_id).status).to.equal('killed');
  });

  it('caps logs without blocking the child', async () => {
    const sup = h.make({ agent_log_max_bytes: 16_384, agents: { 'fixture-agent': { command: process.execPath, args: [h.fixture, 'spam', '600000'] } } });
    await sup.start();
    const res = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER);
    const end = await sup.waitForEnd(res.agent_id);
    expect(end.status).to.equal('completed');
    expect(end.log_dropped_bytes.stdout).to.equal(600_000 - 16_384);
    const size = (await fsp.stat(path.join(h.storage, 'agents', res.agent_id, 'stdout.log'))).size;
    expect(size).to.be.within(16_384, 16_384 + 100);
    const logs = await sup.readLogs(res.agent_id, 'stdout', { tail: 1 });
    expect(logs.capped).to.equal(true);
    expect(logs.lines[0]).to.match(/^\[cco\] log capped at 16384 bytes/);
  });

  it('shutdown terminates every group and leaves no orphans; queued agents become killed', async () => {
    const pidfile = path.join(h.dir, 'pids.json');
    const sup = h.make({
      max_concurrent_agents: 1,
      agent_kill_grace_seconds: 0.3,
      agents: { 'fixture-agent': { command: process.execPath, args: [h.fixture, 'stubborn', '60000', pidfile] } },
    });
    await sup.start();
    const res = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER);
    const queued = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER);
    await until(async () => (await fsp.readFile(pidfile, 'utf8').catch(() => '')).length > 0);
    const pids = JSON.parse(await fsp.readFile(pidfile, 'utf8')) as number[];
    await sup.close();
    for (const pid of pids) expect(alive(pid)).to.equal(false);
    expect(groupMembers(res.process_id!)).to.deep.equal([]);
    expect(sup.get(res.agent_id)).to.include({ status: 'killed', reason: 'sidecar_shutdown' });
    expect(sup.get(queued.agent_id)).to.include({ status: 'killed', reason: 'sidecar_shutdown' });
    const err = await rejection(sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 't' }, ADMIN_CALLER));
    expect(err.code).to.equal('AGT_001');
  });

  it('after a crash: kills a live orphan group (pid + start time match), never signals a recycled pid, keeps history', async () => {
    const sup = h.make();
    await sup.start();
    const done = await sup.spawn({ agent_type: 'fixture-agent', issue_id: 'I-1', task: 'exit' }, ADMIN_CALLER);
    await sup.waitForEnd(done.agent_id);
    await sup.close();

    // An orphan left by a "crashed" sidecar: its own process group with a grandchild.
    const orphan = spawn(
      process.execPath,
      ['-e', "const {spawn}=require('child_process'); spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'}); setInterval(()=>{},1000)"],
      { detached: true, stdio: 'ignore' },
    );
    // A stranger that happens to hold a recorded pid (start time differs).
    const stranger = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { detached: true, stdio: 'ignore' });
    try {
      await until(() => groupMembers(orphan.pid!).length === 2);
      const base = await fsp.readFile(path.join(h.storage, 'agents', done.agent_id, 'state.json'), 'utf8');
      const write = async (id: string, patch: Partial<AgentRecord>): Promise<void> => {
        await fsp.mkdir(path.join(h.storage, 'agents', id), { mode: 0o700 });
        await fsp.writeFile(path.join(h.storage, 'agents', id, 'state.json'), JSON.stringify({ ...JSON.parse(base), agent_id: id, ...patch }));
        await fsp.writeFile(path.join(h.storage, 'agents', id, 'context.json'), '{}');
      };
      const boot = readBootId();
      await write('agt-orphan', { status: 'running', process_id: orphan.pid!, process_start_ticks: readProcStat(orphan.pid!)!.startTicks, boot_id: boot });
      await write('agt-recycled', {
        status: 'running',
        process_id: stranger.pid!,
        process_start_ticks: readProcStat(stranger.pid!)!.startTicks - 1,
        boot_id: boot,
      });
      await write('agt-queued', { status: 'queued', process_id: null });
      await write('agt-oldboot', {
        status: 'running',
        process_id: stranger.pid!,
        process_start_ticks: readProcStat(stranger.pid!)!.startTicks,
        boot_id: 'an-earlier-boot',
      });

      const restarted = h.make();
      const report = await restarted.start();
      expect(report).to.deep.include({ lost: 4, orphans_killed: 1, pid_recycled: 1 });
      await until(() => groupMembers(orphan.pid!).length === 0);
      expect(alive(stranger.pid!)).to.equal(true);
      expect(restarted.get('agt-orphan')).to.include({ status: 'lost', reason: 'orphan_terminated_after_sidecar_crash' });
      expect(restarted.get('agt-recycled')).to.include({ status: 'lost', reason: 'process_gone_pid_recycled' });
      expect(restarted.get('agt-queued')).to.include({ status: 'lost', reason: 'sidecar_restarted_before_start' });
      // Same pid and start time, but recorded in another boot: never signalled.
      expect(restarted.get('agt-oldboot')).to.include({ status: 'lost', reason: 'machine_rebooted' });
      expect(restarted.get(done.agent_id).status).to.equal('completed');
      for (const id of ['agt-orphan', 'agt-recycled', 'agt-queued', 'agt-oldboot']) {
        expect(await exists(path.join(h.storage, 'agents', id, 'context.json'))).to.equal(false);
      }
      expect(restarted.stats()).to.include({ spawned_total: 5, completed: 1, failed: 4 });
    } finally {
      for (const p of [orphan, stranger]) {
        try {
          process.kill(-p.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });

  it('is not fooled into signalling by a state file naming its own process', async () => {
    const sup = h.make();
    await sup.start();
    await sup.close();
    await fsp.mkdir(path.join(h.storage, 'agents', 'agt-self'), { mode: 0o700 });
    const self = readProcStat(process.pid)!;
    await fsp.writeFile(
      path.join(h.storage, 'agents', 'agt-self', 'state.json'),
      JSON.stringify({
        agent_id: 'agt-self',
        agent_type: 'x',
        issue_id: 'I',
        status: 'running',
        created_at: new Date().toISOString(),
        process_id: process.pid,
        process_start_ticks: self.startTicks + 7,
        boot_id: readBootId(),
      }),
    );
    const again: AgentSupervisor = h.make();
    const report = await again.start();
    expect(report.pid_recycled).to.equal(1);
    expect(again.get('agt-self').status).to.equal('lost');
  });
});
