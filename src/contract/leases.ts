import { z } from 'zod';
import { printable, safeId } from './ids.js';

/** Leases (spec §8): request and answer shapes, shared by the HTTP routes and the MCP tools. */

/** A path as sent; normalised and checked inside the root by the lease service (400 REQ_001). */
export const leasePath = z.string().min(1).max(1_024);

export const acquireLeaseBody = z.strictObject({
  paths: z.array(leasePath).min(1).max(100),
  ttl_seconds: z.number().int().min(1).max(3_600).optional(),
  reason: printable(500).optional(),
  wait_ms: z.number().int().min(0).max(60_000).optional(),
});
export const renewLeaseBody = z.strictObject({ ttl_seconds: z.number().int().min(1).max(3_600).optional() });
export const listLeasesQuery = z.strictObject({ path: leasePath.optional(), holder: printable(256).optional(), issue_id: safeId.optional() });
export const leaseIdParams = z.object({ id: safeId });

export const leaseResponse = z.object({
  lease_id: z.string(),
  paths: z.array(z.string()),
  holder: z.string(),
  agent_type: z.string(),
  issue_id: z.string().nullable(),
  fencing_token: z.number(),
  acquired_at: z.string(),
  expires_at: z.string(),
  reason: z.string().nullable(),
});
