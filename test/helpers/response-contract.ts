import { expect } from 'chai';
import { errorBodySchema } from '../../src/contract/errors.js';
import type { Routers } from '../../src/server/routes/routers.js';

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

/**
 * Check one real answer against the contract its route declares: a success body against the
 * route's response schema for that status (every route must declare one), an error body against
 * the contract's error body (spec §1). The route is found the way the app finds it (same router).
 */
export function expectDeclaredShape(routers: Routers, method: string, rawPath: string, res: Answer): void {
  const upper = method.toUpperCase();
  if (upper === 'HEAD' || upper === 'OPTIONS') return;
  const where = `${upper} ${rawPath} → ${res.status}`;
  const pathname = rawPath.split('?')[0] ?? rawPath;
  const matched = routers.router.match(pathname, upper).pathAndMethod.at(-1);
  const spec = matched && routers.catalog.specs.find((s) => s.method.toUpperCase() === upper && s.path === String(matched.path));
  const declared = spec?.responses[res.status];
  // An error status is an error body, unless the route declares its own body for it (GET /health's 503 'unhealthy').
  if (res.status >= 400 && !declared?.schema) {
    const parsed = errorBodySchema.safeParse(res.body);
    expect(parsed.success, `${where}: error body off contract: ${parsed.error?.message ?? ''}`).to.equal(true);
    return;
  }
  if (!matched) return; // not routed (e.g. refused before routing): nothing declared to compare with
  // Registered around defineRoute (a test's rogue route): no catalog entry, nothing declared.
  // The scope test in test/security/project-scope.test.ts fails for such a route anyway.
  if (!spec) return;
  expect(declared?.schema, `${where}: the route declares no response schema for this status`).to.not.equal(undefined);
  const body = declared?.contentType && declared.contentType !== 'application/json' ? res.text : res.body;
  const parsed = declared!.schema!.safeParse(body);
  expect(parsed.success, `${where}: body does not match the declared schema: ${parsed.error?.message ?? ''}`).to.equal(true);
}
