import fc from 'fast-check';

/** Strings that broke or fooled servers like this one (HAZARDS.md and common advisories). */
export const HOSTILE_STRINGS: readonly string[] = [
  '..',
  '../',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '..%252F..%252Fetc',
  '%2e%2e%2f',
  '..\\..\\windows',
  '/etc/passwd',
  '/',
  '//',
  'C:\\Windows\\win.ini',
  '\u0000',
  'a\u0000b',
  '%00',
  'a%00.json',
  '\r\nX-Injected: 1',
  '\n',
  '\t',
  ' ',
  '',
  '\u202egnp.exe',
  '\ufeffbom',
  '\u200bzero',
  'ａｄｍｉｎ',
  'Ω≈ç√',
  '😀',
  '\ud800',
  '\udfff',
  'İstanbul',
  'ß',
  '\u0130',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '*',
  '?',
  '#',
  '%',
  '%zz',
  '%%',
  '+',
  ';',
  ';x=1',
  '&',
  '=',
  '${jndi:ldap://x/a}',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '{{7*7}}',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  'true',
  '[]',
  '{}',
  'x'.repeat(129),
  'x'.repeat(300),
  'y'.repeat(5000),
];

/** Hostile JSON values: prototype keys, absurd numbers, wrong types, big and deep structures. */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(...HOSTILE_STRINGS),
    fc.constantFrom(null, true, false, 0, -0, -1, 1.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, [], {}),
    fc.constantFrom(JSON.parse('{"__proto__":{"admin":true}}'), JSON.parse('{"constructor":{"prototype":{"polluted":true}}}')),
    fc.integer({ min: 1, max: 70 }).map((depth) => nest(depth)),
    fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'z'.repeat(n)),
    fc.array(fc.constantFrom(...HOSTILE_STRINGS), { maxLength: 20 }),
  );
}

function nest(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { n: v };
  return v;
}

/** Whole raw JSON bodies that JSON.stringify cannot produce. */
export const HOSTILE_RAW_BODIES: readonly string[] = [
  '{"__proto__":{"admin":true},"jti":"x"}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '['.repeat(100_000) + ']'.repeat(100_000),
  '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
  '{"a":1,"a":2}',
  '{"jti":"\\u0000"}',
  '{"n":1e999999}',
  '{"s":"\\ud800"}',
  '',
  'null',
  '"string"',
  '123',
  '{',
  '{"a":1}garbage',
  '\ufeff{"jti":"bom"}',
];
