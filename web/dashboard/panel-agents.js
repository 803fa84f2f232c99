import { clear, debounce, duration, h, pill } from './dom.js';

const MAX_ROWS = 500;
const LOG_LINES = 12;
const SAFETY_POLL_MS = 15000;
const ACTIVE = new Set(['running', 'queued', 'starting']);

/**
 * Agents: refreshed when a lifecycle event arrives (and every 15 s as a safety net); uptime ticks
 * locally. Rows are keyed by agent id and updated in place, so an open log view survives refreshes.
 */
export function startAgentsPanel(api, { canManage }) {
  const tbody = document.querySelector('#agents-table tbody');
  const note = document.getElementById('agents-note');
  const rows = new Map();
  const openLogs = new Set();
  const armedKill = new Set();
  let agents = [];

  if (!canManage) {
    note.hidden = false;
    note.textContent = 'This token cannot list agents (it lacks manage_agents): run cco orchestration dashboard without --read-only.';
    document.getElementById('agents-table').hidden = true;
    return { changed() {} };
  }

  async function refresh() {
    const res = await api.get('/api/agents?limit=1000');
    if (res.status !== 200) {
      note.hidden = false;
      note.textContent = `Agents unavailable (${res.body?.code ?? res.status}).`;
      return;
    }
    note.hidden = true;
    agents = res.body.agents;
    document.getElementById('agents-count').textContent = `${res.body.total} total, ${agents.filter((a) => ACTIVE.has(a.status)).length} active`;
    render();
  }

  function uptime(a) {
    if (!a.started_at) return '';
    const end = a.ended_at ? Date.parse(a.ended_at) : Date.now();
    return duration(end - Date.parse(a.started_at));
  }

  function exit(a) {
    if (a.exit_code !== null && a.exit_code !== undefined) return String(a.exit_code);
    return a.signal ?? '';
  }

  async function kill(a, button) {
    if (!armedKill.has(a.agent_id)) {
      armedKill.add(a.agent_id);
      button.textContent = 'confirm kill';
      setTimeout(() => {
        if (armedKill.delete(a.agent_id)) button.textContent = 'kill';
      }, 5000);
      return;
    }
    armedKill.delete(a.agent_id);
    button.disabled = true;
    button.textContent = 'stopping…';
    await api.del(`/api/agents/${encodeURIComponent(a.agent_id)}`);
    refresh();
  }

  async function loadLogs(a, cell) {
    const id = encodeURIComponent(a.agent_id);
    const [out, err] = await Promise.all([
      api.get(`/api/agents/${id}/logs?stream=stdout&tail=${LOG_LINES}`),
      api.get(`/api/agents/${id}/logs?stream=stderr&tail=${LOG_LINES}`),
    ]);
    clear(cell);
    const lines = [...(out.body?.lines ?? []), ...(err.body?.lines ?? []).map((l) => `[stderr] ${l}`)];
    cell.append(h('pre', { className: 'logs', text: lines.length ? lines.join('\n') : '(no output yet)' }));
  }

  function buildRow(a) {
    const logButton = h('button', { text: 'logs', title: 'last log lines' });
    const killButton = h('button', { className: 'danger', text: 'kill' });
    const tr = h('tr', { 'data-agent': a.agent_id });
    const cells = {
      id: h('td', { text: a.agent_id }),
      type: h('td'),
      issue: h('td'),
      node: h('td'),
      status: h('td'),
      uptime: h('td'),
      exit: h('td'),
      actions: h('td', {}, logButton, ' ', killButton),
    };
    tr.append(cells.id, cells.type, cells.issue, cells.node, cells.status, cells.uptime, cells.exit, cells.actions);
    const logRow = h('tr', { className: 'log-row' });
    const logCell = h('td', { colspan: '8' });
    logRow.append(logCell);
    logRow.hidden = true;
    const row = { tr, cells, logRow, logCell, killButton, agent: a };
    logButton.addEventListener('click', () => {
      if (openLogs.delete(a.agent_id)) {
        logRow.hidden = true;
      } else {
        openLogs.add(a.agent_id);
        logRow.hidden = false;
        loadLogs(row.agent, logCell);
      }
    });
    killButton.addEventListener('click', () => kill(row.agent, killButton));
    return row;
  }

  function render() {
    const shown = agents.slice(0, MAX_ROWS);
    const keep = new Set(shown.map((a) => a.agent_id));
    for (const [id, row] of rows) {
      if (keep.has(id)) continue;
      row.tr.remove();
      row.logRow.remove();
      rows.delete(id);
    }
    let previous = null;
    for (const a of shown) {
      let row = rows.get(a.agent_id);
      if (!row) rows.set(a.agent_id, (row = buildRow(a)));
      row.agent = a;
      row.cells.type.textContent = a.agent_type;
      row.cells.issue.textContent = a.issue_id;
      // In a cluster the agent's process and logs live on this node.
      row.cells.node.textContent = a.node_id ?? '';
      if (row.cells.status.textContent !== a.status) {
        clear(row.cells.status);
        row.cells.status.append(pill(a.status));
        // An open log view gets the agent's last lines once more when it ends.
        if (openLogs.has(a.agent_id) && !ACTIVE.has(a.status)) loadLogs(a, row.logCell);
      }
      row.cells.uptime.textContent = uptime(a);
      row.cells.exit.textContent = exit(a);
      row.killButton.hidden = !ACTIVE.has(a.status);
      // Keep the table in list order (newest first) without rebuilding it.
      const anchor = previous ? previous.logRow.nextSibling : tbody.firstChild;
      if (row.tr !== anchor) tbody.insertBefore(row.tr, anchor);
      if (row.logRow !== row.tr.nextSibling) tbody.insertBefore(row.logRow, row.tr.nextSibling);
      previous = row;
    }
  }

  const changed = debounce(refresh, 300);
  refresh();
  setInterval(refresh, SAFETY_POLL_MS);
  // Logs have no event: open log views of active agents refresh every 5 s.
  setInterval(() => {
    for (const id of openLogs) {
      const row = rows.get(id);
      if (row && ACTIVE.has(row.agent.status)) loadLogs(row.agent, row.logCell);
    }
  }, 5000);
  // Uptime of running agents, without a request.
  setInterval(() => {
    for (const row of rows.values()) if (ACTIVE.has(row.agent.status)) row.cells.uptime.textContent = uptime(row.agent);
  }, 1000);
  return { changed };
}
