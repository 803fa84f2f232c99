import { createRequire } from 'node:module';
import { Language, Parser, Query, type Node } from 'web-tree-sitter';

/**
 * Definitions (functions, classes, methods, types) of a source file from tree-sitter grammars:
 * `web-tree-sitter` with the prebuilt wasm grammars of `@vscode/tree-sitter-wasm`. Runs in the
 * search and build workers only (loading a grammar costs 10–60 ms, parsing a few ms per file).
 * Files of other languages have no definitions; the index falls back to their identifiers.
 */

export type SymbolKind = 'function' | 'method' | 'class' | 'interface' | 'type' | 'enum' | 'struct' | 'trait';

export interface Definition {
  name: string;
  kind: SymbolKind;
  /** 1-based line of the definition. */
  line: number;
  /** The definition's first line, trimmed (at most 200 characters). */
  signature: string;
}

type Grammar = 'python' | 'typescript' | 'tsx' | 'javascript' | 'go' | 'rust' | 'java';

const JS_QUERY = `(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(class_declaration name: (identifier) @name) @class
(method_definition name: (property_identifier) @name) @method
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function`;

const TS_QUERY = `(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(class_declaration name: (type_identifier) @name) @class
(abstract_class_declaration name: (type_identifier) @name) @class
(method_definition name: (property_identifier) @name) @method
(interface_declaration name: (type_identifier) @name) @interface
(type_alias_declaration name: (type_identifier) @name) @type
(enum_declaration name: (identifier) @name) @enum
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function`;

const QUERIES: Record<Grammar, string> = {
  python: `(function_definition name: (identifier) @name) @function
(class_definition name: (identifier) @name) @class`,
  javascript: JS_QUERY,
  typescript: TS_QUERY,
  tsx: TS_QUERY,
  go: `(function_declaration name: (identifier) @name) @function
(method_declaration name: (field_identifier) @name) @method
(type_spec name: (type_identifier) @name) @type`,
  rust: `(function_item name: (identifier) @name) @function
(struct_item name: (type_identifier) @name) @struct
(enum_item name: (type_identifier) @name) @enum
(trait_item name: (type_identifier) @name) @trait
(type_item name: (type_identifier) @name) @type`,
  java: `(class_declaration name: (identifier) @name) @class
(interface_declaration name: (identifier) @name) @interface
(enum_declaration name: (identifier) @name) @enum
(record_declaration name: (identifier) @name) @class
(method_declaration name: (identifier) @name) @method
(constructor_declaration name: (identifier) @name) @method`,
};

const EXTENSIONS: Record<string, Grammar> = {
  py: 'python',
  pyi: 'python',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  go: 'go',
  rs: 'rust',
  java: 'java',
};

/** Node types whose functions are methods. */
const CLASS_LIKE = new Set(['class_definition', 'class_body', 'class_declaration', 'impl_item', 'trait_item', 'declaration_list']);
/** Files larger than this are not parsed (identifiers still index them). */
export const MAX_PARSE_BYTES = 512 * 1024;
const MAX_DEFINITIONS = 400;
const MAX_SIGNATURE = 200;

interface Loaded {
  parser: Parser;
  query: Query;
}

const require = createRequire(import.meta.url);
let init: Promise<void> | null = null;
const grammars = new Map<Grammar, Promise<Loaded | null>>();

/** The grammar for a path, or null when the file falls back to identifiers. */
export function grammarOf(rel: string): Grammar | null {
  const dot = rel.lastIndexOf('.');
  if (dot < 0 || dot < rel.lastIndexOf('/')) return null;
  return EXTENSIONS[rel.slice(dot + 1).toLowerCase()] ?? null;
}

function load(g: Grammar): Promise<Loaded | null> {
  let p = grammars.get(g);
  if (!p) {
    init ??= Parser.init();
    p = init
      .then(() => Language.load(require.resolve(`@vscode/tree-sitter-wasm/wasm/tree-sitter-${g}.wasm`)))
      .then((lang) => {
        const parser = new Parser();
        parser.setLanguage(lang);
        return { parser, query: new Query(lang, QUERIES[g]) };
      })
      // A grammar that cannot load makes its files fall back to identifiers; never a failure.
      .catch(() => null);
    grammars.set(g, p);
  }
  return p;
}

/**
 * Definitions in `text` (already redacted) for the file `rel`; [] for other languages.
 *
 * @example (await extractDefinitions('a.py', 'def f(x):\n  pass\n'))[0].signature === 'def f(x):'
 */
export async function extractDefinitions(rel: string, text: string): Promise<Definition[]> {
  const g = grammarOf(rel);
  if (!g || text.length > MAX_PARSE_BYTES) return [];
  const loaded = await load(g);
  if (!loaded) return [];
  const tree = loaded.parser.parse(text);
  if (!tree) return [];
  try {
    const out: Definition[] = [];
    let lines: string[] | null = null;
    for (const m of loaded.query.matches(tree.rootNode)) {
      const nameNode = m.captures.find((c) => c.name === 'name')?.node;
      const def = m.captures.find((c) => c.name !== 'name');
      if (!nameNode || !def) continue;
      let kind = def.name as SymbolKind;
      if (kind === 'function' && insideClass(def.node)) kind = 'method';
      const line = def.node.startPosition.row + 1;
      lines ??= text.split('\n');
      out.push({ name: nameNode.text, kind, line, signature: clip((lines[line - 1] ?? '').trim()) });
      if (out.length >= MAX_DEFINITIONS) break;
    }
    return out;
  } finally {
    tree.delete();
  }
}

function insideClass(node: Node): boolean {
  let n = node.parent;
  for (let depth = 0; n && depth < 4; depth++, n = n.parent) if (CLASS_LIKE.has(n.type)) return true;
  return false;
}

function clip(line: string): string {
  return line.length > MAX_SIGNATURE ? line.slice(0, MAX_SIGNATURE - 1) + '…' : line;
}
