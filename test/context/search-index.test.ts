import { expect } from 'chai';
import { extractDefinitions } from '../../src/context/worker/search/definitions.js';
import { SearchIndex } from '../../src/context/worker/search/search-index.js';
import { issueQuery } from '../../src/context/ranking/issue-query.js';
import { pathTerms, textTerms } from '../../src/context/ranking/terms.js';
import type { IssueRecord } from '../../src/issues/issue-record.js';

describe('code search index', () => {
  it('splits identifiers on camelCase, snake_case and digits, and keeps them whole', () => {
    const t = textTerms('parseHTTPRequest2_fast(raw_value)');
    expect([...t.keys()]).to.include.members(['parsehttprequest2_fast', 'parse', 'http', 'request', 'fast', 'raw_value', 'raw', 'value']);
    expect(pathTerms('src/utils/dateFormat.ts')).to.include.members(['src', 'utils', 'dateformat', 'date', 'format']);
  });

  it('finds definitions in Python, TypeScript, TSX, JavaScript, Go, Rust and Java', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['a.py', 'def foo(a, b):\n    return 1\n\nclass Bar:\n    def baz(self):\n        pass\n', ['function:foo', 'class:Bar', 'method:baz']],
      [
        'a.ts',
        'export function foo(a: number): number { return a }\nexport class Bar { baz(): void {} }\ninterface Iface { x: number }\ntype T = string;\nconst qux = (x: number) => x;\n',
        ['function:foo', 'class:Bar', 'method:baz', 'interface:Iface', 'type:T', 'function:qux'],
      ],
      ['a.tsx', 'export function Comp(): JSX.Element {\n  return <div />;\n}\n', ['function:Comp']],
      ['a.js', 'function foo(a) { return 1 }\nclass Bar { baz() {} }\n', ['function:foo', 'class:Bar', 'method:baz']],
      ['a.go', 'package main\n\nfunc Foo(a int) int { return 1 }\n\ntype Bar struct{}\n\nfunc (b *Bar) Baz() {}\n', ['function:Foo', 'type:Bar', 'method:Baz']],
      [
        'a.rs',
        'fn foo(a: i32) -> i32 { 1 }\nstruct Bar;\nimpl Bar {\n    pub fn baz(&self) {}\n}\ntrait T {}\n',
        ['function:foo', 'struct:Bar', 'method:baz', 'trait:T'],
      ],
      ['A.java', 'class Bar {\n  void baz() {}\n}\ninterface I {}\n', ['class:Bar', 'method:baz', 'interface:I']],
    ];
    for (const [file, src, want] of cases) {
      const defs = await extractDefinitions(file, src);
      expect(
        defs.map((d) => `${d.kind}:${d.name}`),
        file,
      ).to.include.members(want);
    }
    const [foo] = await extractDefinitions('a.py', '\n\ndef foo(a, b):\n    return 1\n');
    expect(foo).to.deep.equal({ name: 'foo', kind: 'function', line: 3, signature: 'def foo(a, b):' });
    expect(await extractDefinitions('notes.txt', 'def foo(): pass')).to.deep.equal([]);
  });

  it('replaces one file alone: its old terms and definitions are gone, the others stay', () => {
    const idx = new SearchIndex();
    idx.put('a.py', textTerms('def alpha_parse(): pass'), [{ name: 'alpha_parse', kind: 'function', line: 1, signature: 'def alpha_parse():' }]);
    idx.put('b.py', textTerms('def beta_render(): alpha_parse()'), [{ name: 'beta_render', kind: 'function', line: 1, signature: 'def beta_render():' }]);
    const q = (ident: string) => idx.search({ words: [[ident, 1]], identifiers: [ident], files: [] }, 10);
    expect(q('alpha_parse').map((h) => [h.path, h.defines.length > 0])).to.deep.equal([
      ['a.py', true],
      ['b.py', false],
    ]);
    idx.put('a.py', textTerms('def gamma_load(): pass'), [{ name: 'gamma_load', kind: 'function', line: 1, signature: 'def gamma_load():' }]);
    expect(q('alpha_parse').map((h) => h.path)).to.deep.equal(['b.py']);
    expect(q('gamma_load')[0]!.defines).to.deep.equal(['gamma_load']);
    expect(q('beta_render')[0]!.path).to.equal('b.py');
    idx.remove('b.py');
    expect(idx.size).to.equal(1);
    // Nothing stale is left behind: only a.py's current terms remain.
    expect(idx.termCount).to.equal(textTerms('def gamma_load(): pass').size);
    expect(q('beta_render')).to.deep.equal([]);
  });

  it('reads an issue: words (title counted double), named identifiers and files', () => {
    const rec: IssueRecord = {
      issue_id: 'I-1',
      project_id: 'p',
      title: 'Fix approx() for nested dicts',
      labels: ['python-api'],
      files: ['src/_pytest/python_api.py'],
      description: 'The `ApproxMapping` class in python_api.py and numpy.isclose fail; see getRequestHeaders.',
      acceptance: null,
      created_at: '',
      updated_at: '',
      revision: 1,
    };
    const { query, called } = issueQuery(rec);
    expect(query.identifiers).to.include.members(['approx', 'approxmapping', 'isclose', 'getrequestheaders']);
    expect(query.identifiers).to.not.include('py');
    expect([...called]).to.deep.equal(['approx']);
    expect(query.files).to.include.members(['src/_pytest/python_api.py', 'python_api.py']);
    const w = new Map(query.words);
    expect(w.get('approx')).to.be.greaterThan(w.get('dicts') === undefined ? 0 : 1);
    expect(w.get('nested')).to.equal(2);
  });
});
