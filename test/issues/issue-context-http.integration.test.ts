import { expect } from 'chai';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('issue registry → context engine over HTTP (real sidecar)', function () {
  this.timeout(60_000);
  let s: TestServer;
  let root: string;
  let architect: string;
  let coder: string;

  before(async () => {
    root = await makeTempDir('cco-issue-ctx-');
    for (let i = 0; i < 40; i++)
      await fsp
        .mkdir(path.join(root, 'pkg'), { recursive: true })
        .then(() => fsp.writeFile(path.join(root, 'pkg', `mod_${i}.py`), `def helper_${i}(x):\n    return x + ${i}\n`));
    await fsp.writeFile(path.join(root, 'pkg', 'billing.py'), 'def prorate_invoice(invoice, days):\n    return invoice.total * days / 30\n');
    await fsp.writeFile(path.join(root, 'pyproject.toml'), '[project]\nname = "shop"\n');
    s = await startTestServer({ projectRoot: root });
    architect = await s.tokenFor({ agent_type: 'chief-architect', sub: 'arch-1' });
    coder = await s.tokenFor({ agent_type: 'python-specialist', sub: 'py-1', issue_id: 'SHOP-1' });
  });
  after(async () => {
    await s.stop();
    await removeDir(root);
  });

  const context = () => s.request('GET', '/api/context/SHOP-1/python-specialist?max_files=5', { token: coder });

  it('answers context.issue null for an unknown issue, then the registered issue, ranked by it', async () => {
    const before = await context();
    expect(before.status, before.text).to.equal(200);
    expect(before.body.context.issue).to.equal(null);

    const put = await s.request('PUT', '/api/issues/SHOP-1', {
      token: architect,
      body: { title: 'Wrong amount from prorate_invoice() for February', labels: ['billing'] },
    });
    expect(put.status).to.equal(201);
    const first = await context();
    expect(first.body.cache_hit).to.equal(false);
    expect(first.body.context.issue).to.deep.equal(put.body);
    const billing = first.body.context.relevant_files.find((f: { path: string }) => f.path === 'pkg/billing.py');
    expect(billing, JSON.stringify(first.body.context.relevant_files.map((f: { path: string }) => f.path))).to.not.equal(undefined);
    expect(billing.reason).to.contain('prorate_invoice() named in the issue');
    expect((await context()).body.cache_hit).to.equal(true);
  });

  it('drops the cached contexts of an issue when it changes or is deleted', async () => {
    const put = await s.request('PUT', '/api/issues/SHOP-1', {
      token: architect,
      body: { title: 'Wrong amount from prorate_invoice() in leap years', labels: ['billing'] },
    });
    expect(put.body.revision).to.equal(2);
    const after = await context();
    expect(after.body.cache_hit).to.equal(false);
    expect(after.body.context.issue.revision).to.equal(2);
    expect(after.body.context.issue.title).to.equal('Wrong amount from prorate_invoice() in leap years');
    expect((await context()).body.cache_hit).to.equal(true);

    expect((await s.request('DELETE', '/api/issues/SHOP-1', { token: architect })).status).to.equal(200);
    const gone = await context();
    expect(gone.body.cache_hit).to.equal(false);
    expect(gone.body.context.issue).to.equal(null);
  });
});
