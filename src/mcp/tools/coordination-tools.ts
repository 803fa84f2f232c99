import { StorageReadError } from '../../errors/index.js';
import { acquireLeaseBody, leaseIdParams, listLeasesQuery, renewLeaseBody } from '../../contract/leases.js';
import { createGateBody, gateIdParams, waitGateQuery } from '../../contract/gates.js';
import { COORDINATION_LIMITS, type Coordination, type GateView, type LeaseView } from '../../coordination/index.js';
import type { AppDeps } from '../../server/app-deps.js';
import { defineTool } from '../tool-definition.js';

function coordinationOf(deps: AppDeps): Coordination {
  if (!deps.coordination) throw new StorageReadError('Leases and gates are not available on this sidecar');
  return deps.coordination;
}

const leaseLine = (l: LeaseView): string => `${l.lease_id} on ${l.paths.join(', ')} (fencing_token ${l.fencing_token}, until ${l.expires_at})`;
const gateLine = (g: GateView & { timeout?: true }): string =>
  `Gate ${g.gate_id} is ${g.state}${g.timeout ? ' (wait timed out; call wait_gate again)' : ''}; pending: ${g.pending.map((p) => p.agent_type).join(', ') || 'none'}.`;

/** `acquire_lease`, `renew_lease`, `release_lease`, `list_leases`, `create_gate`, `wait_gate` mirror the routes of spec §8. */
export const coordinationTools = [
  defineTool({
    name: 'acquire_lease',
    title: 'Lease files before editing them',
    description: [
      'Takes an exclusive, expiring lease on files or directories (paths relative to the project root) BEFORE you edit',
      'them, so no other agent edits them at the same time. A directory covers everything below it. Returns lease_id,',
      'expires_at and fencing_token (send it with every write you make). If another agent holds a path you get a',
      'conflict error (LSE_001) naming the holder; pass wait_ms (up to the tool wait cap) to queue instead. Renew it',
      'with renew_lease while you work (ttl_seconds, default 300) and release it with release_lease when done.',
    ].join(' '),
    permission: 'write_results',
    input: acquireLeaseBody,
    readOnly: false,
    run: ({ caller, deps, signal }, body) => {
      const cap = deps.config.mcp.wait_cap_ms;
      return coordinationOf(deps).leases.acquire(
        caller,
        { ...body, ...(body.wait_ms !== undefined ? { wait_ms: Math.min(body.wait_ms, cap) } : {}) },
        { signal },
      );
    },
    summary: (out: LeaseView) => `Leased ${leaseLine(out)}.`,
  }),
  defineTool({
    name: 'renew_lease',
    title: 'Extend a lease',
    description:
      'Extends your lease to ttl_seconds from now (default 300, max 3600). Call it before expires_at while you still edit the leased files. Returns the lease with its new expires_at.',
    permission: 'write_results',
    input: renewLeaseBody.extend(leaseIdParams.shape),
    readOnly: false,
    audit: 'data',
    run: ({ caller, deps }, { id, ttl_seconds }) => coordinationOf(deps).leases.renew(caller, id, ttl_seconds ?? 300),
    summary: (out: LeaseView) => `Renewed ${leaseLine(out)}.`,
  }),
  defineTool({
    name: 'release_lease',
    title: 'Release a lease',
    description:
      'Releases a lease (yours; manage_agents or admin may release any) as soon as you are done with its files, so waiting agents can proceed. Returns the lease and released_at.',
    permission: 'write_results',
    input: leaseIdParams,
    readOnly: false,
    destructive: true,
    run: ({ caller, deps }, { id }) => coordinationOf(deps).leases.release(caller, id),
    summary: (out: LeaseView & { released_at: string }) => `Released ${out.lease_id} (${out.paths.join(', ')}).`,
  }),
  defineTool({
    name: 'list_leases',
    title: 'List live leases',
    description:
      'Lists live leases: path selects those on it, on a directory above it and below it; holder and issue_id filter. Call it to see who works on which files before you plan your edits.',
    permission: 'read_context',
    input: listLeasesQuery,
    readOnly: true,
    run: async ({ deps }, query) => {
      const leases = await coordinationOf(deps).leases.list(query);
      return { leases, total: leases.length, timestamp: new Date().toISOString() };
    },
    summary: (out: { leases: LeaseView[]; total: number }) =>
      out.total === 0
        ? 'No live lease.'
        : `${out.total} live lease(s): ${out.leases
            .slice(0, 5)
            .map((l) => `${l.paths.join(', ')} by ${l.holder}`)
            .join('; ')}.`,
  }),
  defineTool({
    name: 'create_gate',
    title: 'Create a wait-for-all gate',
    description: [
      'Creates a gate on an issue that opens when every expected agent type has stored a result with the expected',
      'status (default success); results stored before count. Use it instead of counting agent_completed events, then',
      'call wait_gate. Creating the same gate_id with the same definition again returns the existing gate.',
      'issue_id defaults to your token.',
    ].join(' '),
    permission: 'publish_events',
    input: createGateBody,
    claimDefaults: { issue_id: 'issue_id' },
    readOnly: false,
    run: async ({ caller, deps }, body) => (await coordinationOf(deps).gates.create(caller, body)).gate,
    summary: gateLine,
  }),
  defineTool({
    name: 'wait_gate',
    title: 'Wait until a gate opens',
    description: [
      'Waits until the gate is open or expired and returns it (state, satisfied, pending). The wait is capped below the',
      'client tool timeout: when it returns timeout: true the gate is still waiting, so call wait_gate again.',
      'timeout is in milliseconds.',
    ].join(' '),
    permission: 'subscribe_events',
    input: waitGateQuery.extend(gateIdParams.shape),
    queryInput: true,
    readOnly: true,
    run: ({ caller, deps, signal }, { id, timeout }) => {
      const cap = Math.min(deps.config.mcp.wait_cap_ms, COORDINATION_LIMITS.maxGateWaitMs);
      return coordinationOf(deps).gates.wait(caller, id, Math.min(timeout ?? cap, cap), signal);
    },
    summary: gateLine,
  }),
];
