import { z } from 'zod';

/** The error body of every non-2xx answer (spec §1). */
export const errorBodySchema = z.object({
  error: z
    .string()
    .regex(/^[a-z][a-z_]*$/)
    .describe('snake_case error word'),
  message: z.string(),
  code: z.string().describe('Stable contract code, e.g. AUTH_001, REQ_001, EVT_003'),
  details: z.record(z.string(), z.unknown()),
  timestamp: z.string(),
  request_id: z.string(),
});

export type ErrorBody = z.output<typeof errorBodySchema>;
