import { expect } from 'chai';
import { redactUrl, scrubSecret } from '../../src/util/redact-url.js';

describe('redactUrl', () => {
  it('hides the password and secret-looking parameters, keeps what an operator needs to find the server', () => {
    expect(redactUrl('postgres://app:s3cret@db.internal:5432/cco')).to.equal('postgres://app:***@db.internal:5432/cco');
    expect(redactUrl('postgresql://app:p%40ss@db/cco?sslmode=require&password=x')).to.equal('postgresql://app:***@db/cco?sslmode=require&password=***');
    expect(redactUrl('redis://tokenonly@cache:6379')).to.equal('redis://***@cache:6379');
    expect(redactUrl('postgres://db/cco')).to.equal('postgres://db/cco');
    expect(redactUrl('not a url with secret')).to.equal('(unparseable url)');
  });

  it('scrubs a password (decoded) out of a driver message', () => {
    expect(scrubSecret('auth failed for p@ss here', 'postgres://app:p%40ss@db/cco')).to.equal('auth failed for *** here');
    expect(scrubSecret('nothing to hide', 'postgres://db/cco')).to.equal('nothing to hide');
  });
});
