import { Api } from './api.js';
import { claimsOf, forgetToken, may, takeToken } from './token.js';
import { followEvents } from './event-stream.js';
import { startHealthPanel } from './panel-health.js';
import { startAgentsPanel } from './panel-agents.js';
import { startEventsPanel } from './panel-events.js';
import { startResultsPanel } from './panel-results.js';
import { startOptionalPanels } from './panel-optional.js';

function explain(problem) {
  document.getElementById('app').hidden = true;
  document.getElementById('no-token').hidden = false;
  const p = document.getElementById('token-problem');
  if (problem) {
    p.hidden = false;
    p.textContent = problem;
  }
  const state = document.getElementById('stream-state');
  state.textContent = 'no token';
  state.className = 'pill s-offline';
}

function start() {
  const token = takeToken();
  const claims = token ? claimsOf(token) : null;
  if (!token || !claims) {
    if (token) forgetToken();
    explain(token ? 'The token in this tab is not a token.' : '');
    return;
  }
  let stopped = false;
  const onUnauthorized = (body) => {
    if (stopped) return;
    stopped = true;
    forgetToken();
    explain(`The sidecar refused the token: ${body?.message ?? 'unauthorized'} (${body?.code ?? '401'}).`);
  };
  const api = new Api(token, onUnauthorized);
  document.getElementById('app').hidden = false;
  document.getElementById('project').textContent = `project ${claims.project_id ?? ''}`;
  const expires = claims.exp ? new Date(claims.exp * 1000).toLocaleString() : 'never';
  document.getElementById('who').textContent = `${claims.sub} · ${may(claims, 'manage_agents') ? 'read + manage' : 'read only'} · until ${expires}`;

  startHealthPanel(api);
  const agents = startAgentsPanel(api, { canManage: may(claims, 'manage_agents') });
  const events = startEventsPanel();
  const results = startResultsPanel(api);
  const optional = startOptionalPanels(api, results.issues);

  const state = document.getElementById('stream-state');
  followEvents(api, {
    onUnauthorized,
    onState(word) {
      state.textContent = word === 'gap' ? 'reconnected (some events were missed)' : word;
      state.className = `pill s-${word === 'gap' ? 'degraded' : word}`;
    },
    onEvent(event) {
      events.add(event);
      const type = event.event_type;
      if (type.startsWith('agent_')) agents.changed();
      if ((type === 'agent_completed' || type === 'agent_failed') && event.data?.result_id) results.changed();
      if (type.startsWith('issue_')) optional.issues();
      if (type.startsWith('lease_')) optional.leases();
      if (type.startsWith('gate_')) optional.gates(event.data?.issue_id);
    },
  });
}

start();
