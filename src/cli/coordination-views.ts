import type { GateView, LeaseView } from '../coordination/coordination-types.js';

/** Fixed-width table; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function leaseLine(l: LeaseView): string {
  return `${l.lease_id} on ${l.paths.join(', ')} held by ${l.holder} (fencing token ${l.fencing_token}, expires ${l.expires_at})`;
}

export function leaseTable(leases: LeaseView[]): string {
  return table([
    ['LEASE', 'FENCE', 'HOLDER', 'AGENT TYPE', 'ISSUE', 'EXPIRES', 'PATHS'],
    ...leases.map((l) => [l.lease_id, String(l.fencing_token), l.holder, l.agent_type, l.issue_id ?? '-', l.expires_at, l.paths.join(',')]),
  ]);
}

export function gateLine(g: GateView): string {
  const pending = g.pending.map((p) => `${p.agent_type}:${p.status}`).join(',') || '-';
  const met = g.satisfied.map((p) => `${p.agent_type}:${p.status}`).join(',') || '-';
  return `${g.gate_id} on ${g.issue_id} is ${g.state} (satisfied ${met}; pending ${pending})`;
}

export function gateTable(gates: GateView[]): string {
  return table([
    ['GATE', 'ISSUE', 'STATE', 'SATISFIED', 'PENDING'],
    ...gates.map((g) => [g.gate_id, g.issue_id, g.state, String(g.satisfied.length), g.pending.map((p) => p.agent_type).join(',') || '-']),
  ]);
}
