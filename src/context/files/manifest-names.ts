/**
 * The manifests the metadata parsers understand, by their usual spelling: the one list behind
 * parsing (`manifest-parsers.ts`), the root files always read (`metadata.ts`) and the manifest
 * kind of ranking (`file-kinds.ts`, which adds names it ranks but does not parse).
 */
export const PARSED_MANIFEST_FILES = [
  'package.json',
  'pyproject.toml',
  'Cargo.toml',
  'go.mod',
  'pom.xml',
  'composer.json',
  'Gemfile',
  'build.gradle',
  'build.gradle.kts',
] as const;

/** `requirements.txt`, `requirements-dev.txt`, …: parsed as pip requirements. */
export const REQUIREMENTS_PATTERN = /^requirements.*\.txt$/;

/** Requirements files read at the root whether or not the index holds them. */
export const ROOT_REQUIREMENTS_FILES = ['requirements.txt', 'requirements-dev.txt'] as const;

const PARSED_LOWER: ReadonlySet<string> = new Set(PARSED_MANIFEST_FILES.map((f) => f.toLowerCase()));

/** Lower-cased base name of a relative path. */
export function manifestBase(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1).toLowerCase();
}

/** A manifest the metadata parsers understand (any directory, any case). */
export function isParsedManifest(rel: string): boolean {
  const base = manifestBase(rel);
  return PARSED_LOWER.has(base) || REQUIREMENTS_PATTERN.test(base);
}
