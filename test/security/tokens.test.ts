import { expect } from 'chai';
import { generateKeyPair } from 'jose';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configFor } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { startSidecar } from '../../src/sidecar/start-sidecar.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { expectContractError } from '../helpers/contract.js';
import { forgeToken as forge, readStorageKey } from '../helpers/forge-token.js';

/** HAZARDS.md "Tokens (jose)": every item, against a live sidecar. */
describe('security: tokens', () => {
  let s: TestServer;
  let key: Uint8Array;
  before(async () => {
    s = await startTestServer();
    key = await readStorageKey(s.storage);
  });
  after(async () => {
    await s.stop();
  });

  const statusWith = (token: string) => s.request('GET', '/status', { token });

  it('accepts a correctly signed token (control)', async () => {
    expect((await statusWith(await forge(key, { claims: { project_id: s.config.project_id } }))).status).to.equal(200);
  });

  it('answers every forged or malformed token with 401, never 500', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { privateKey: ecKey } = await generateKeyPair('ES256');
    const { privateKey: rsaKey } = await generateKeyPair('RS256');
    const cases: Array<[string, Promise<string> | string, string]> = [
      ['1-byte HS256 secret', forge(new Uint8Array([1])), 'AUTH_001'],
      ['another 48-byte secret', forge(new TextEncoder().encode('k'.repeat(48))), 'AUTH_001'],
      ['no exp', forge(key, { exp: null }), 'AUTH_001'],
      ['HS384', forge(key, { alg: 'HS384' }), 'AUTH_001'],
      ['HS512', forge(key, { alg: 'HS512' }), 'AUTH_001'],
      ['iat far in the future', forge(key, { iat: now + 86_400, exp: now + 90_000 }), 'AUTH_001'],
      ['nbf beyond the clock tolerance', forge(key, { nbf: now + 120 }), 'AUTH_001'],
      // jose reports max age as JWTExpired on `iat`; it is not an expiry of `exp`, so AUTH_001.
      ['older than the max token age', forge(key, { iat: now - 31 * 86_400, nbf: now - 31 * 86_400, exp: now + 600 }), 'AUTH_001'],
      ['any aud', forge(key, { aud: 'someone-else' }), 'AUTH_001'],
      ['wrong iss', forge(key, { iss: 'evil' }), 'AUTH_001'],
      ['wrong typ', forge(key, { typ: 'at+jwt' }), 'AUTH_001'],
      ['ES256 key type (jose TypeError)', forge(ecKey, { alg: 'ES256' }), 'AUTH_001'],
      ['RS256 key type', forge(rsaKey, { alg: 'RS256' }), 'AUTH_001'],
      [
        'alg none',
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', exp: now + 600 })).toString('base64url')}.`,
        'AUTH_001',
      ],
      ['claims of the wrong type', forge(key, { claims: { permissions: 'admin' } }), 'AUTH_001'],
      ['truncated signature', forge(key).then((t) => t.slice(0, -4)), 'AUTH_001'],
      ['garbage segments', 'a.b.c', 'AUTH_001'],
      ['expired beyond the tolerance', forge(key, { iat: now - 7200, nbf: now - 7200, exp: now - 90 }), 'AUTH_002'],
    ];
    for (const [name, token, code] of cases) {
      const res = await statusWith(await token);
      expect([res.status, res.body.code], name).to.deep.equal([401, code]);
      expectContractError(res, 401, code);
      expect(res.body.message, name).not.to.match(/TypeError|jose|JWS|JWT[A-Z]/);
    }
  });

  it('refuses to start with a weak configured secret or a group/world-readable key file', async () => {
    const dir = await makeTempDir('cco-keys-');
    try {
      const project = path.join(dir, 'project');
      await mkdir(project);
      const base = { port: 0, project_root: project, log_level: 'silent' as const, watch: false };
      const logger = createLogger({ level: 'silent' });
      const weak = await startSidecar({ config: configFor({ ...base, storage_path: path.join(dir, 'a'), jwt_secret: 'x'.repeat(31) }), logger }).catch(
        (e: Error) => e,
      );
      expect(weak instanceof Error ? weak.message : 'started').to.match(/too weak/);
      const storage = path.join(dir, 'b');
      await mkdir(storage, { mode: 0o700 });
      await writeFile(path.join(storage, 'jwt.key'), 'k'.repeat(48), { mode: 0o600 });
      await chmod(path.join(storage, 'jwt.key'), 0o644);
      const open = await startSidecar({ config: configFor({ ...base, storage_path: storage }), logger }).catch((e: Error) => e);
      expect(open instanceof Error ? open.message : 'started').to.match(/readable by group or others/);
    } finally {
      await removeDir(dir);
    }
  });
});
