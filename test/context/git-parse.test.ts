import { expect } from 'chai';
import { parseLog, parseNumstat, parseRemotes, parseStatusV2, statusWord, stripCredentials } from '../../src/context/git/git-parse.js';

describe('context/git-parse', () => {
  it('parses porcelain v2 status with branch, renames, untracked and a prefix', () => {
    const out = [
      '# branch.oid 95671adfa5f4405e0f28630b17c49193b008b291',
      '# branch.head main',
      '1 .M N... 100644 100644 100644 aaaa aaaa sub/x/f.txt',
      '2 R. N... 100644 100644 100644 bbbb bbbb R100 sub/new name.txt',
      'sub/old.txt',
      '1 A. N... 000000 100644 100644 0000 cccc sub/added.txt',
      '1 .D N... 100644 100644 000000 dddd dddd sub/gone.txt',
      'u UU N... 100644 100644 100644 100644 e1 e2 e3 sub/conflict.txt',
      '? sub/untracked.txt',
      '? outside.txt',
      '',
    ].join('\0');
    const s = parseStatusV2(out, 'sub/');
    expect(s.branch).to.equal('main');
    expect(s.head).to.equal('95671adfa5f4405e0f28630b17c49193b008b291');
    expect(Object.fromEntries(s.entries)).to.deep.equal({
      'x/f.txt': { status: 'modified', staged: false },
      'new name.txt': { status: 'renamed', staged: true, oldPath: 'old.txt' },
      'added.txt': { status: 'added', staged: true },
      'gone.txt': { status: 'deleted', staged: false },
      'conflict.txt': { status: 'conflicted', staged: false },
      'untracked.txt': { status: 'untracked', staged: false },
    });
  });

  it('reports detached HEAD and the initial state as null', () => {
    const s = parseStatusV2('# branch.oid (initial)\0# branch.head (detached)\0', '');
    expect(s.branch).to.equal(null);
    expect(s.head).to.equal(null);
  });

  it('maps XY to status words', () => {
    expect(statusWord('M.')).to.equal('modified');
    expect(statusWord('AM')).to.equal('added');
    expect(statusWord('.T')).to.equal('typechange');
    expect(statusWord('DD')).to.equal('conflicted');
  });

  it('parses numstat with renames and binaries', () => {
    const out = '1\t0\tx/f.txt\0' + '3\t2\t\0old.txt\0new.txt\0' + '-\t-\timg.png\0';
    expect(Object.fromEntries(parseNumstat(out))).to.deep.equal({
      'x/f.txt': { added: 1, deleted: 0 },
      'new.txt': { added: 3, deleted: 2 },
      'img.png': { added: null, deleted: null },
    });
  });

  it('parses log output with files per commit', () => {
    const out =
      '\x1eabc123\x1fA B\x1f2026-01-01T00:00:00+00:00\x1ffix: thing\0\nsrc/a.ts\0src/b.ts\0' +
      '\x1edef456\x1fC D\x1f2025-12-31T00:00:00+00:00\x1finitial\0\nREADME.md\0';
    expect(parseLog(out)).to.deep.equal([
      { hash: 'abc123', author: 'A B', timestamp: '2026-01-01T00:00:00+00:00', message: 'fix: thing', files_changed: ['src/a.ts', 'src/b.ts'] },
      { hash: 'def456', author: 'C D', timestamp: '2025-12-31T00:00:00+00:00', message: 'initial', files_changed: ['README.md'] },
    ]);
  });

  it('prefers origin among remotes', () => {
    expect(parseRemotes('remote.upstream.url https://u\nremote.origin.url git@github.com:o/r.git\n')).to.deep.equal({
      name: 'origin',
      url: 'git@github.com:o/r.git',
    });
    expect(parseRemotes('')).to.equal(null);
  });

  const urls: Array<[string, string]> = [
    ['https://user:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['https://x-access-token:tok@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['https://gitlab.com/o/r.git?private_token=abc#frag', 'https://gitlab.com/o/r.git'],
    ['ssh://git:secret@host.example:2222/o/r.git', 'ssh://host.example:2222/o/r.git'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com:o/r.git', 'github.com:o/r.git'],
    ['/srv/git/r.git', '/srv/git/r.git'],
  ];
  for (const [input, output] of urls) {
    it(`strips credentials from ${input.slice(0, 40)}`, () => {
      expect(stripCredentials(input)).to.equal(output);
    });
  }
});
