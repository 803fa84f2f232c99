import { randomBytes } from 'node:crypto';
import type { LeaseView } from './coordination-types.js';

/** Journal records of leases. Replaying them is idempotent (see CoordinationJournal.compact). */
export type LeaseRecord =
  | {
      t: 'L';
      id: string;
      paths: string[];
      holder: string;
      agent_type: string;
      issue_id: string | null;
      fence: number;
      at: number;
      exp: number;
      reason: string | null;
    }
  | { t: 'N'; id: string; exp: number }
  | { t: 'R'; id: string; why: string }
  | { t: 'F'; fence: number };

/** A live lease in memory (times in epoch ms). */
export interface Lease {
  id: string;
  paths: string[];
  holder: string;
  agentType: string;
  issueId: string | null;
  fence: number;
  at: number;
  exp: number;
  reason: string | null;
}

/** The wire shape of a lease. */
export function view(l: Lease): LeaseView {
  return {
    lease_id: l.id,
    paths: [...l.paths],
    holder: l.holder,
    agent_type: l.agentType,
    issue_id: l.issueId,
    fencing_token: l.fence,
    acquired_at: new Date(l.at).toISOString(),
    expires_at: new Date(l.exp).toISOString(),
    reason: l.reason,
  };
}

/** `lse_<time>_<random>`: unique, sortable by grant time, a safe id in paths and URLs. */
export function newLeaseId(): string {
  return `lse_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
}
