import { clear, clock, debounce, h, pill } from './dom.js';

const MAX_ISSUES = 50;

/** Latest result per issue and agent type, with the workflow's next agents; refreshed on result events. */
export function startResultsPanel(api) {
  const body = document.getElementById('results-body');
  const note = document.getElementById('results-note');
  const issues = new Set();

  async function refresh() {
    const res = await api.get('/api/results?latest=true&include=next_agents&limit=500');
    if (res.status !== 200) {
      note.hidden = false;
      note.textContent = `Results unavailable (${res.body?.code ?? res.status}).`;
      return;
    }
    note.hidden = res.body.results.length > 0;
    note.textContent = 'No result stored yet.';
    const byIssue = new Map();
    for (const r of res.body.results) {
      if (!byIssue.has(r.issue_id)) byIssue.set(r.issue_id, []);
      byIssue.get(r.issue_id).push(r);
      issues.add(r.issue_id);
    }
    const frag = document.createDocumentFragment();
    for (const [issue, results] of [...byIssue].slice(0, MAX_ISSUES)) {
      const table = h(
        'table',
        {},
        h(
          'tbody',
          {},
          ...results.map((r) =>
            h(
              'tr',
              { 'data-result': r.id },
              h('td', { text: r.agent_type }),
              h('td', {}, pill(r.result.status)),
              h('td', { text: clock(r.stored_at), title: r.stored_at }),
              h('td', { className: 'next', text: (r.next_agents ?? []).map((n) => `→ ${n.agent_type} (${n.priority})`).join(', ') }),
            ),
          ),
        ),
      );
      frag.append(h('div', { className: 'issue-block', 'data-issue': issue }, h('h3', { text: `issue ${issue}` }), table));
    }
    clear(body);
    body.append(frag);
  }

  refresh();
  setInterval(refresh, 30000);
  return { changed: debounce(refresh, 500), issues };
}
