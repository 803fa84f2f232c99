/**
 * Language table: file extension / file name → language, plus which languages are programming
 * languages (their files count as "source"). The order of LANGUAGES is the numeric id stored in
 * index snapshots, so append only.
 */

interface LanguageDef {
  name: string;
  extensions: string[];
  filenames?: string[];
  programming: boolean;
}

const DEFS: LanguageDef[] = [
  { name: 'other', extensions: [], programming: false },
  { name: 'typescript', extensions: ['ts', 'tsx', 'mts', 'cts'], programming: true },
  { name: 'javascript', extensions: ['js', 'jsx', 'mjs', 'cjs'], programming: true },
  { name: 'python', extensions: ['py', 'pyi', 'pyx'], filenames: ['pipfile', 'sconstruct'], programming: true },
  { name: 'go', extensions: ['go'], programming: true },
  { name: 'rust', extensions: ['rs'], programming: true },
  { name: 'java', extensions: ['java'], programming: true },
  { name: 'kotlin', extensions: ['kt', 'kts'], programming: true },
  { name: 'scala', extensions: ['scala', 'sc', 'sbt'], programming: true },
  { name: 'csharp', extensions: ['cs', 'csx'], programming: true },
  { name: 'fsharp', extensions: ['fs', 'fsi', 'fsx'], programming: true },
  { name: 'cpp', extensions: ['cc', 'cpp', 'cxx', 'c++', 'hpp', 'hh', 'hxx', 'h++', 'ipp', 'inl'], programming: true },
  { name: 'c', extensions: ['c', 'h'], programming: true },
  { name: 'objective-c', extensions: ['m', 'mm'], programming: true },
  { name: 'swift', extensions: ['swift'], programming: true },
  { name: 'ruby', extensions: ['rb', 'rake', 'gemspec', 'erb'], filenames: ['gemfile', 'rakefile', 'guardfile', 'podfile'], programming: true },
  { name: 'php', extensions: ['php', 'phtml'], programming: true },
  { name: 'dart', extensions: ['dart'], programming: true },
  { name: 'elixir', extensions: ['ex', 'exs', 'heex'], programming: true },
  { name: 'erlang', extensions: ['erl', 'hrl'], programming: true },
  { name: 'haskell', extensions: ['hs', 'lhs'], programming: true },
  { name: 'clojure', extensions: ['clj', 'cljs', 'cljc', 'edn'], programming: true },
  { name: 'lua', extensions: ['lua'], programming: true },
  { name: 'r', extensions: ['r', 'rmd'], programming: true },
  { name: 'julia', extensions: ['jl'], programming: true },
  { name: 'perl', extensions: ['pl', 'pm', 't'], programming: true },
  { name: 'shell', extensions: ['sh', 'bash', 'zsh', 'fish', 'ksh'], programming: true },
  { name: 'powershell', extensions: ['ps1', 'psm1', 'psd1'], programming: true },
  { name: 'sql', extensions: ['sql', 'psql', 'plsql'], programming: true },
  { name: 'html', extensions: ['html', 'htm', 'xhtml'], programming: true },
  { name: 'css', extensions: ['css', 'scss', 'sass', 'less', 'styl'], programming: true },
  { name: 'vue', extensions: ['vue'], programming: true },
  { name: 'svelte', extensions: ['svelte'], programming: true },
  { name: 'graphql', extensions: ['graphql', 'gql'], programming: true },
  { name: 'protobuf', extensions: ['proto'], programming: true },
  { name: 'solidity', extensions: ['sol'], programming: true },
  { name: 'zig', extensions: ['zig'], programming: true },
  { name: 'nim', extensions: ['nim'], programming: true },
  { name: 'ocaml', extensions: ['ml', 'mli'], programming: true },
  { name: 'elm', extensions: ['elm'], programming: true },
  { name: 'groovy', extensions: ['groovy', 'gradle'], filenames: ['jenkinsfile'], programming: true },
  { name: 'terraform', extensions: ['tf', 'hcl'], programming: true },
  { name: 'dockerfile', extensions: ['dockerfile'], filenames: ['dockerfile', 'containerfile'], programming: false },
  { name: 'makefile', extensions: ['mk', 'mak'], filenames: ['makefile', 'gnumakefile'], programming: false },
  { name: 'cmake', extensions: ['cmake'], filenames: ['cmakelists.txt'], programming: false },
  { name: 'markdown', extensions: ['md', 'mdx', 'markdown'], programming: false },
  { name: 'restructuredtext', extensions: ['rst'], programming: false },
  { name: 'asciidoc', extensions: ['adoc', 'asciidoc'], programming: false },
  { name: 'text', extensions: ['txt'], programming: false },
  { name: 'json', extensions: ['json', 'jsonc', 'json5'], programming: false },
  { name: 'yaml', extensions: ['yaml', 'yml'], programming: false },
  { name: 'toml', extensions: ['toml'], programming: false },
  { name: 'xml', extensions: ['xml', 'xsd', 'xsl', 'plist', 'csproj', 'fsproj', 'vbproj', 'props', 'targets'], programming: false },
  { name: 'ini', extensions: ['ini', 'cfg', 'conf', 'properties', 'editorconfig'], programming: false },
  { name: 'csv', extensions: ['csv', 'tsv'], programming: false },
  { name: 'svg', extensions: ['svg'], programming: false },
  { name: 'vb', extensions: ['vb'], programming: true },
  { name: 'assembly', extensions: ['asm', 's'], programming: true },
  { name: 'crystal', extensions: ['cr'], programming: true },
];

/** Language names in id order. */
export const LANGUAGE_NAMES: readonly string[] = DEFS.map((d) => d.name);
const PROGRAMMING: readonly boolean[] = DEFS.map((d) => d.programming);
const BY_EXT = new Map<string, number>();
const BY_NAME = new Map<string, number>();
const ID_BY_LANGUAGE = new Map<string, number>();
DEFS.forEach((d, id) => {
  ID_BY_LANGUAGE.set(d.name, id);
  for (const e of d.extensions) if (!BY_EXT.has(e)) BY_EXT.set(e, id);
  for (const f of d.filenames ?? []) BY_NAME.set(f, id);
});

/** Numeric id of the language of a path (0 = other). `base` is the lower-cased file name. */
export function languageIdOfBase(base: string): number {
  const byName = BY_NAME.get(base);
  if (byName !== undefined) return byName;
  const dot = base.lastIndexOf('.');
  if (dot < 0) {
    // Dockerfile.dev, Makefile.inc style names are handled by prefix.
    return 0;
  }
  if (dot === 0) return BY_NAME.get(base.slice(1)) ?? 0;
  const ext = base.slice(dot + 1);
  const id = BY_EXT.get(ext);
  if (id !== undefined) return id;
  const stem = base.slice(0, dot);
  return BY_NAME.get(stem) ?? 0;
}

/** Language name of a relative path, e.g. `src/a.ts` → `typescript`; `other` when unknown. */
export function languageOf(relPath: string): string {
  return LANGUAGE_NAMES[languageIdOfBase(baseNameLower(relPath))] ?? 'other';
}

export function languageId(name: string): number | undefined {
  return ID_BY_LANGUAGE.get(name);
}

export function isProgrammingLanguage(id: number): boolean {
  return PROGRAMMING[id] ?? false;
}

export function baseNameLower(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf('/') + 1).toLowerCase();
}
