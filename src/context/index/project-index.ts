import { GitignoreRules } from '../files/gitignore-rules.js';
import { languageOf } from '../files/languages.js';
import { isParsedManifest } from '../metadata/manifest-parsers.js';
import { PathRules } from '../files/path-rules.js';
import { SnapshotView } from './snapshot-codec.js';
import type { OverlayEntry, ScanSuccess } from '../pool/worker-protocol.js';

/** A change applied to the index (from the watcher or a rescan). */
export interface AppliedChange {
  path: string;
  kind: 'add' | 'change' | 'unlink';
  /** New state; absent for unlink. */
  size?: number;
  mtimeMs?: number;
}

/**
 * The project index as the main thread sees it: the last scan (shared buffers, read by binary
 * search, never expanded into 50k strings here) plus an overlay of the changes the watcher saw
 * since. Totals are kept incrementally so `/status`-like numbers and answers cost O(1).
 * Workers get the same snapshot buffers plus the overlay as a short list.
 */
export class ProjectIndex {
  readonly rules: PathRules;
  private view: SnapshotView | null = null;
  private scan: ScanSuccess | null = null;
  private readonly overlay = new Map<string, [number, number] | null>();
  private gitignore = new GitignoreRules();
  private readonly dirSet = new Set<string>();
  private readonly manifestSet = new Set<string>();
  private files = 0;
  private bytes = 0;
  private readonly byLanguage = new Map<string, number>();
  /** Incremented on every applied change and every new scan. */
  version = 0;
  scannedAt = 0;

  constructor(rules: PathRules) {
    this.rules = rules;
  }

  get ready(): boolean {
    return this.scan !== null;
  }

  get mode(): 'git' | 'walk' | null {
    return this.scan?.mode ?? null;
  }

  get snapshot(): ScanSuccess['snapshot'] | null {
    return this.scan?.snapshot ?? null;
  }

  get overlaySize(): number {
    return this.overlay.size;
  }

  /** Directories the index holds (the watch set). */
  get directories(): ReadonlySet<string> {
    return this.dirSet;
  }

  /** Replace the base with a fresh scan; the overlay is cleared (the caller re-applies changes seen during the scan). */
  setScan(scan: ScanSuccess, now: number): void {
    this.scan = scan;
    this.view = new SnapshotView(scan.snapshot);
    this.overlay.clear();
    this.gitignore = new GitignoreRules(scan.ignoreFiles);
    this.dirSet.clear();
    for (const d of scan.directories) this.dirSet.add(d);
    this.manifestSet.clear();
    for (const m of scan.manifests) this.manifestSet.add(m);
    this.files = scan.snapshot.count;
    this.bytes = scan.totalBytes;
    this.byLanguage.clear();
    for (const [lang, n] of Object.entries(scan.byLanguage)) this.byLanguage.set(lang, n);
    this.scannedAt = now;
    this.version++;
  }

  /** Current state of one file, or null. */
  lookup(rel: string): { size: number; mtimeMs: number } | null {
    const o = this.overlay.get(rel);
    if (o !== undefined) return o ? { size: o[0], mtimeMs: o[1] } : null;
    if (!this.view) return null;
    const i = this.view.indexOf(rel);
    return i < 0 ? null : { size: this.view.sizes[i]!, mtimeMs: this.view.mtimes[i]! };
  }

  has(rel: string): boolean {
    return this.lookup(rel) !== null;
  }

  /**
   * Should a path first seen after the scan be indexed? Same rules as the scan: the sidecar's
   * own rules, then every `.gitignore` level (including ignored ancestors).
   */
  isIndexable(rel: string, isDir: boolean): boolean {
    if (isDir ? this.rules.isExcludedDir(rel) : this.rules.isExcludedFile(rel)) return false;
    if (!isDir) {
      // A file inside an excluded directory (e.g. node_modules/x/y.js).
      const slash = rel.lastIndexOf('/');
      if (slash > 0 && this.rules.isExcludedDir(rel.slice(0, slash))) return false;
    }
    return !this.gitignore.ignoresWithParents(rel, isDir);
  }

  /** A `.gitignore` changed: its rules must be reloaded by a rescan. */
  isIgnoreFile(rel: string): boolean {
    return rel === '.gitignore' || rel.endsWith('/.gitignore');
  }

  /**
   * Apply a new state for a file. Returns the change (add/change/unlink) or null when nothing
   * differs (e.g. an access-time-only event, or a delete of a file we never had).
   */
  apply(rel: string, state: { size: number; mtimeMs: number } | null): AppliedChange | null {
    const old = this.lookup(rel);
    if (!old && !state) return null;
    if (old && state && old.size === state.size && old.mtimeMs === state.mtimeMs) return null;
    const lang = languageOf(rel);
    if (old) {
      this.bytes -= old.size;
      if (!state) {
        this.files--;
        const n = (this.byLanguage.get(lang) ?? 1) - 1;
        if (n > 0) this.byLanguage.set(lang, n);
        else this.byLanguage.delete(lang);
      }
    }
    if (state) {
      this.bytes += state.size;
      if (!old) {
        this.files++;
        this.byLanguage.set(lang, (this.byLanguage.get(lang) ?? 0) + 1);
        this.addAncestors(rel);
      }
    }
    const inBase = this.view ? this.view.indexOf(rel) >= 0 : false;
    if (!state && !inBase) this.overlay.delete(rel);
    else this.overlay.set(rel, state ? [state.size, state.mtimeMs] : null);
    this.version++;
    if (isParsedManifest(rel) && rel.split('/').length <= 3) {
      if (state) this.manifestSet.add(rel);
      else this.manifestSet.delete(rel);
    }
    if (!state) return { path: rel, kind: 'unlink' };
    return { path: rel, kind: old ? 'change' : 'add', size: state.size, mtimeMs: state.mtimeMs };
  }

  addDirectory(rel: string): void {
    this.addAncestors(rel + '/x');
  }

  removeDirectory(rel: string): void {
    for (const d of [...this.dirSet]) if (d === rel || d.startsWith(rel + '/')) this.dirSet.delete(d);
  }

  /** Every file currently indexed below a directory (for a removed or moved directory). */
  filesUnder(dirRel: string): string[] {
    const prefix = dirRel === '' ? '' : dirRel + '/';
    const out = new Set<string>();
    if (this.view) {
      for (let i = this.view.lowerBound(prefix); i < this.view.count; i++) {
        const p = this.view.pathAt(i);
        if (!p.startsWith(prefix)) break;
        if (this.overlay.get(p) !== null) out.add(p);
      }
    }
    for (const [p, v] of this.overlay) if (v && p.startsWith(prefix)) out.add(p);
    return [...out];
  }

  /** Manifests up to two directories deep (for metadata). */
  manifests(): string[] {
    return [...this.manifestSet];
  }

  overlayEntries(): OverlayEntry[] {
    const out: OverlayEntry[] = [];
    for (const [p, v] of this.overlay) out.push(v ? [p, v[0], v[1]] : [p]);
    return out;
  }

  totals(): { total_files: number; total_size_bytes: number; by_language: Record<string, number> } {
    return { total_files: this.files, total_size_bytes: this.bytes, by_language: Object.fromEntries(this.byLanguage) };
  }

  private addAncestors(rel: string): void {
    let slash = rel.lastIndexOf('/');
    while (slash > 0) {
      const d = rel.slice(0, slash);
      if (this.dirSet.has(d)) break;
      this.dirSet.add(d);
      slash = d.lastIndexOf('/');
    }
    this.dirSet.add('');
  }
}
