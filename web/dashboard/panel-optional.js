import { clock, debounce, fillTable, h } from './dom.js';

/**
 * Panels whose routes may not exist on this sidecar (issues, leases, gates): a panel is shown
 * when its route answers and stays hidden on 404/405; it is refreshed by its events and every
 * 30 s (these have events; the poll only catches what a reconnect may have skipped).
 */
function optionalPanel({ panelId, load, row }) {
  const panel = document.getElementById(panelId);
  const tbody = panel.querySelector('tbody');
  async function refresh() {
    const result = await load();
    if (!result) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    fillTable(tbody, result, row, 200);
  }
  refresh();
  setInterval(refresh, 30000);
  return debounce(refresh, 500);
}

const absent = (status) => status === 404 || status === 405;
const listOf = (body, key) => (Array.isArray(body?.[key]) ? body[key] : Array.isArray(body) ? body : []);

export function startOptionalPanels(api, knownIssues) {
  const issueIds = new Set();
  const issues = optionalPanel({
    panelId: 'panel-issues',
    async load() {
      const res = await api.get('/api/issues?limit=100');
      if (absent(res.status) || res.status !== 200) return null;
      const list = listOf(res.body, 'issues');
      for (const i of list) issueIds.add(i.issue_id);
      return list;
    },
    row: (i) =>
      h(
        'tr',
        {},
        h('td', { text: i.issue_id }),
        h('td', { text: i.title }),
        h('td', { text: (i.labels ?? []).join(', ') }),
        h('td', { text: clock(i.updated_at), title: i.updated_at }),
      ),
  });
  const leases = optionalPanel({
    panelId: 'panel-leases',
    async load() {
      const res = await api.get('/api/leases');
      if (absent(res.status) || res.status !== 200) return null;
      return listOf(res.body, 'leases');
    },
    row: (l) =>
      h(
        'tr',
        {},
        h('td', { text: (l.paths ?? []).join(', ') }),
        h('td', { text: l.holder }),
        h('td', { text: l.issue_id ?? '' }),
        h('td', { text: clock(l.expires_at), title: l.expires_at }),
      ),
  });
  const gates = optionalPanel({
    panelId: 'panel-gates',
    async load() {
      // Gates are listed per issue: ask for the issues this page knows (bounded).
      const ids = [...new Set([...issueIds, ...knownIssues])].slice(0, 20);
      const probe = await api.get(`/api/gates?issue_id=${encodeURIComponent(ids[0] ?? 'dashboard-probe')}`);
      if (absent(probe.status) || probe.status !== 200) return null;
      const answers = [probe, ...(await Promise.all(ids.slice(1).map((id) => api.get(`/api/gates?issue_id=${encodeURIComponent(id)}`))))];
      return answers.flatMap((a) => (a.status === 200 ? listOf(a.body, 'gates') : []));
    },
    row: (g) =>
      h(
        'tr',
        {},
        h('td', { text: g.gate_id }),
        h('td', { text: g.issue_id ?? '' }),
        h('td', { text: g.state }),
        h('td', { text: (g.pending ?? []).map((p) => (typeof p === 'string' ? p : p.agent_type)).join(', ') }),
      ),
  });
  return {
    issues,
    leases,
    // A gate event names its issue: ask for that issue's gates even before a result made it known.
    gates(issueId) {
      if (typeof issueId === 'string' && issueId !== '') issueIds.add(issueId);
      gates();
    },
  };
}
