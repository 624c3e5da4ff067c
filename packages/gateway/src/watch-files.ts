/**
 * Change detection for hot reload. It watches the *folders* that hold the config files and the
 * file:// plugins, never the files themselves: editors and build tools save by writing a new file
 * and renaming it over the old one, and a watch on the old file (its inode) would go quiet after
 * the first such save. Events are filtered by name and debounced, so one save is one reload.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { LogLevel } from '@wasmgate/host';
import { isManifestFileName } from './config/read.js';
import type { Logger } from './logger.js';

/** What to watch: exact files, and folders whose `*.yaml`/`*.yml`/`*.json` entries all count. */
export interface WatchSet {
  readonly files: readonly string[];
  readonly configDirs: readonly string[];
}

interface Interest {
  readonly names: Set<string>;
  yaml: boolean;
}

const REARM_MS = 1000;

export class FileWatcher {
  readonly #onChange: (files: string[]) => void;
  readonly #logger: Logger;
  readonly #debounceMs: number;
  #interest = new Map<string, Interest>();
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #pending = new Set<string>();
  readonly #warned = new Set<string>();
  #debounce: NodeJS.Timeout | undefined;
  #rearm: NodeJS.Timeout | undefined;
  #closed = false;

  /** `onChange` gets the changed paths, once per burst of events (`debounceMs` after the last). */
  constructor(onChange: (files: string[]) => void, logger: Logger, debounceMs = 150) {
    this.#onChange = onChange;
    this.#logger = logger;
    this.#debounceMs = debounceMs;
  }

  /** Replaces what is watched; folders that stay in the set keep their watcher (no event is lost). */
  set(target: WatchSet): void {
    const interest = new Map<string, Interest>();
    const at = (dir: string) => {
      let i = interest.get(dir);
      if (!i) interest.set(dir, (i = { names: new Set(), yaml: false }));
      return i;
    };
    for (const f of target.files) at(dirname(f)).names.add(basename(f));
    for (const d of target.configDirs) at(d).yaml = true;
    this.#interest = interest;
    for (const [dir, w] of this.#watchers) {
      if (!interest.has(dir)) {
        w.close();
        this.#watchers.delete(dir);
      }
    }
    this.#arm();
  }

  /** Folders currently watched (for /config_dump). */
  get watching(): string[] {
    return [...this.#watchers.keys()].sort();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#debounce);
    clearTimeout(this.#rearm);
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  /** Starts a watcher for every folder of interest that has none; retries later those that fail. */
  #arm(): boolean {
    let missing = false;
    for (const dir of this.#interest.keys()) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => this.#event(dir, name));
        w.on('error', (e) => this.#lost(dir, w, e));
        this.#watchers.set(dir, w);
        this.#warned.delete(dir);
      } catch (e) {
        missing = true;
        if (!this.#warned.has(dir)) {
          this.#warned.add(dir);
          this.#logger.log(LogLevel.warn, `cannot watch ${dir} (${(e as Error).message}); retrying every ${REARM_MS} ms, or use POST /reload`);
        }
      }
    }
    if (missing) this.#scheduleRearm();
    return !missing;
  }

  #event(dir: string, name: string | Buffer | null): void {
    const interest = this.#interest.get(dir);
    if (!interest) return;
    const file = name === null ? undefined : name.toString();
    // No name (some platforms): assume it matters. `..data` is the symlink Kubernetes swaps when a
    // mounted ConfigMap changes.
    const relevant = file === undefined || interest.names.has(file) ||
      (interest.yaml && (isManifestFileName(file) || file.startsWith('..')));
    if (!relevant) return;
    this.#pending.add(file === undefined ? dir : `${dir}/${file}`);
    this.#fireSoon();
  }

  #lost(dir: string, w: FSWatcher, e: Error): void {
    w.close();
    if (this.#watchers.get(dir) === w) this.#watchers.delete(dir);
    if (this.#closed) return;
    this.#logger.log(LogLevel.warn, `stopped watching ${dir} (${e.message}); re-arming`);
    this.#pending.add(dir);
    this.#scheduleRearm();
  }

  #scheduleRearm(): void {
    if (this.#rearm || this.#closed) return;
    this.#rearm = setTimeout(() => {
      this.#rearm = undefined;
      // Whatever changed while the folder was not watched is caught by one reload check.
      if (this.#arm() && this.#pending.size > 0) this.#fireSoon();
    }, REARM_MS);
    this.#rearm.unref();
  }

  #fireSoon(): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      const files = [...this.#pending];
      this.#pending.clear();
      this.#onChange(files);
    }, this.#debounceMs);
    this.#debounce.unref();
  }
}
