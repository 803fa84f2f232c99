import { expect } from 'chai';
import { redactSecrets } from '../../src/context/ranking/redact.js';

const FAKE_GH = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const FAKE_AWS_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';
const FAKE_AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('context/redact', () => {
  const cases: Array<[string, string, string]> = [
    ['private key block', `before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabcdef\n-----END RSA PRIVATE KEY-----\nafter`, 'MIIEowIBAAKCAQEA7'],
    ['openssh private key', `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----`, 'b3BlbnNzaC1rZXktdjEAAAAA'],
    ['aws access key id', `const id = '${FAKE_AWS_ID}';`, FAKE_AWS_ID],
    ['aws secret key', `aws_secret_access_key = ${FAKE_AWS_SECRET}`, FAKE_AWS_SECRET],
    ['github token', `token: ${FAKE_GH}`, FAKE_GH],
    ['fine-grained github token', 'GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ', 'github_pat_11ABCDEFG0123456789'],
    ['password assignment', 'password = "hunter2hunter2"', 'hunter2hunter2'],
    ['password in object', "const cfg = { password: 'sup3r-s3cret' };", 'sup3r-s3cret'],
    ['env style', 'DB_PASSWORD=correct-horse-battery', 'correct-horse-battery'],
    ['yaml style', 'api_key: 9f8e7d6c5b4a39281706', '9f8e7d6c5b4a39281706'],
    ['bearer token', 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345', 'abcdefghijklmnopqrstuvwxyz012345'],
    ['url credentials', 'DATABASE_URL=postgres://app:pa55word@db.internal:5432/app', 'pa55word'],
    ['slack token', 'xoxb-123456789012-abcdefghijkl', 'xoxb-123456789012-abcdefghijkl'],
    ['stripe key', 'STRIPE=' + 'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc', '4eC39HqLyjWDarjtT1zdp7dc'],
    ['google api key', 'key=AIzaSyA-1234567890abcdefghijklmnopqrstu', 'AIzaSyA-1234567890abcdefghijklmnopqrstu'],
    ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'dozjgNryP4J3jVmNHl0w5N'],
    ['client secret json', '"client_secret": "GOCSPX-abcdefghijklmnop"', 'GOCSPX-abcdefghijklmnop'],
  ];
  for (const [name, text, secret] of cases) {
    it(`redacts ${name}`, () => {
      const out = redactSecrets(text);
      expect(out.text).to.not.include(secret);
      expect(out.text).to.include('[REDACTED:');
      expect(out.count).to.be.greaterThan(0);
    });
  }

  it('keeps the surrounding syntax', () => {
    expect(redactSecrets('password = "hunter2hunter2"').text).to.equal('password = "[REDACTED:secret]"');
    expect(redactSecrets('Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345').text).to.equal('Authorization: Bearer [REDACTED:bearer-token]');
    expect(redactSecrets('postgres://app:pa55word@db/app').text).to.equal('postgres://app:[REDACTED:url-credentials]@db/app');
  });

  it('leaves code that only mentions secrets alone', () => {
    const code = [
      'function login(password: string): Promise<Token> {',
      '  const token = await issueToken(user);',
      '  password = readPassword();',
      '  api_key: process.env.API_KEY,',
      '  PASSWORD=${DB_PASSWORD}',
      '  const secretName = getSecret(name);',
      '}',
    ].join('\n');
    const out = redactSecrets(code);
    expect(out.text).to.equal(code);
    expect(out.count).to.equal(0);
  });

  it('returns the same string when nothing can match', () => {
    const text = 'plain text without any of the trigger words';
    expect(redactSecrets(text)).to.deep.equal({ text, count: 0 });
  });
});
