import { z } from 'zod';

/** Token refresh and revocation (spec §2). */

export const revokeBody = z.strictObject({ jti: z.string().min(1).max(128) });
export const refreshResponse = z.object({ token: z.string(), expires_at: z.string() });
export const revokeResponse = z.object({ revoked: z.literal(true), jti: z.string(), timestamp: z.string() });

export type RevokeBody = z.output<typeof revokeBody>;
export type RefreshResponse = z.output<typeof refreshResponse>;
export type RevokeResponse = z.output<typeof revokeResponse>;
