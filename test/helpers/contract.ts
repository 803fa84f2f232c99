import { expect } from 'chai';

/** Every code an error answer may carry: spec §1 plus the protection codes (README "Protection"). */
export const KNOWN_CODES = new Set([
  'REQ_001',
  'REQ_002',
  'REQ_003',
  'REQ_004',
  'REQ_005',
  'REQ_006',
  'REQ_007',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'AUTH_001',
  'AUTH_002',
  'AUTH_003',
  'RATE_001',
  'CTX_001',
  'CTX_002',
  'EVT_001',
  'EVT_002',
  'EVT_003',
  'STR_001',
  'STR_002',
  'AGT_001',
  'AGT_002',
  'AGT_003',
  'AGT_004',
  'LSE_001',
  'SRV_001',
  'AUD_001',
]);

interface Answer {
  status?: number;
  body?: any;
  headers: Record<string, unknown>;
}

/** The spec §1 error shape, with a known code, a request id matching the header and no leaks. */
export function expectContractError(res: Answer, status?: number, code?: string): void {
  if (status !== undefined) expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.body, 'error body').to.be.an('object');
  expect(res.body).to.include.keys('error', 'message', 'code', 'details', 'timestamp', 'request_id');
  if (code !== undefined) expect(res.body.code).to.equal(code);
  expect(KNOWN_CODES.has(res.body.code), `unknown code ${res.body.code}`).to.equal(true);
  expect(res.body.error).to.match(/^[a-z][a-z_]*$/);
  expect(res.body.details).to.be.an('object');
  expect(Number.isNaN(Date.parse(res.body.timestamp))).to.equal(false);
  expect(res.headers['x-request-id']).to.equal(res.body.request_id);
  expect(res.headers['x-content-type-options']).to.equal('nosniff');
  expect(res.headers['cache-control']).to.equal('no-store');
  expect(String(res.body.message)).not.to.match(/\bat .+:\d+:\d+|node_modules|\/dist\/|\/src\//);
  // RFC 6750 §3 / issue 15: every 401 names the Bearer scheme, so a client knows how to authenticate.
  if (res.status === 401)
    expect(String((res.headers['www-authenticate'] as string | undefined) ?? ''), 'WWW-Authenticate on a 401').to.match(
      /^Bearer realm="cco-sidecar"(, error="(invalid_token|invalid_request)")?$/,
    );
}
