import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackupMetadata } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import { readArchiveMetadata } from '../archive/archive-reader';

/**
 * The local backup folders: `QUORUM_HOME/backups` by default and any folder
 * the operator chose. Listing reads each archive's `metadata.json` only
 * (cached by size and mtime); checksums known to be right (computed while
 * Quorum wrote or verified the file) are remembered in
 * `QUORUM_HOME/backup-checksums.json` so the list can say "verified".
 */

export interface LocalArchive {
  readonly localPath: string;
  readonly metadata: BackupMetadata;
}

export interface InvalidLocalArchive {
  readonly localPath: string;
  readonly reason: string;
}

interface CacheEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly result: { ok: true; metadata: BackupMetadata } | { ok: false; reason: string };
}

interface KnownChecksum {
  readonly size: number;
  readonly mtimeMs: number;
  readonly checksum: string;
}

const ARCHIVE_NAME = /\.(tar\.gz|tgz)$/i;

export class LocalLibrary {
  readonly defaultFolder: string;
  readonly #indexFile: string;
  readonly #folders = new Set<string>();
  readonly #cache = new Map<string, CacheEntry>();
  #known: Map<string, KnownChecksum> | null = null;

  constructor(home: string) {
    this.defaultFolder = path.join(home, 'backups');
    this.#indexFile = path.join(home, 'backup-checksums.json');
    this.#folders.add(this.defaultFolder);
  }

  /** Makes a folder known (it may then be listed and its archives deleted). */
  async useFolder(folder: string | undefined): Promise<string> {
    const resolved = path.resolve(folder ?? this.defaultFolder);
    await mkdir(resolved, { recursive: true, mode: 0o700 });
    this.#folders.add(resolved);
    return resolved;
  }

  /** Refuses paths that are not archives directly inside a known folder. */
  assertManaged(localPath: string): string {
    const resolved = path.resolve(localPath);
    if (!this.#folders.has(path.dirname(resolved)) || !ARCHIVE_NAME.test(resolved)) {
      throw new QuorumError('forbidden', `${localPath} is not an archive in a backup folder Quorum manages. List its folder first.`);
    }
    return resolved;
  }

  async scan(folder: string): Promise<{ archives: LocalArchive[]; invalid: InvalidLocalArchive[] }> {
    const dir = await this.useFolder(folder);
    const archives: LocalArchive[] = [];
    const invalid: InvalidLocalArchive[] = [];
    for (const name of (await readdir(dir)).sort()) {
      if (!ARCHIVE_NAME.test(name)) continue;
      const file = path.join(dir, name);
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) continue;
      let entry = this.#cache.get(file);
      if (!entry || entry.size !== st.size || entry.mtimeMs !== st.mtimeMs) {
        let result: CacheEntry['result'];
        try {
          result = { ok: true, metadata: await readArchiveMetadata(file) };
        } catch (error) {
          const reason = error instanceof QuorumError ? String(error.details?.reason ?? error.message) : 'the file could not be read';
          result = { ok: false, reason };
        }
        entry = { size: st.size, mtimeMs: st.mtimeMs, result };
        this.#cache.set(file, entry);
      }
      if (entry.result.ok) archives.push({ localPath: file, metadata: entry.result.metadata });
      else invalid.push({ localPath: file, reason: entry.result.reason });
    }
    return { archives, invalid };
  }

  async #knownChecksums(): Promise<Map<string, KnownChecksum>> {
    if (this.#known) return this.#known;
    const map = new Map<string, KnownChecksum>();
    try {
      const raw = JSON.parse(await readFile(this.#indexFile, 'utf8')) as Record<string, KnownChecksum>;
      for (const [k, v] of Object.entries(raw)) if (typeof v?.checksum === 'string') map.set(k, v);
    } catch {
      // No index yet, or unreadable: every archive is simply unverified.
    }
    this.#known = map;
    return map;
  }

  /** The SHA-1 known for this file as it is now, or null (never computed, or the file changed). */
  async knownChecksum(localPath: string): Promise<string | null> {
    const known = (await this.#knownChecksums()).get(path.resolve(localPath));
    if (!known) return null;
    const st = await stat(localPath).catch(() => null);
    return st && st.size === known.size && st.mtimeMs === known.mtimeMs ? known.checksum : null;
  }

  /** Remembers the checksum computed for a file (written atomically, 0600). */
  async recordChecksum(localPath: string, checksum: string): Promise<void> {
    const map = await this.#knownChecksums();
    const st = await stat(localPath);
    map.set(path.resolve(localPath), { size: st.size, mtimeMs: st.mtimeMs, checksum });
    await this.#save(map);
  }

  async forget(localPath: string): Promise<void> {
    const map = await this.#knownChecksums();
    map.delete(path.resolve(localPath));
    this.#cache.delete(path.resolve(localPath));
    await this.#save(map);
  }

  async #save(map: Map<string, KnownChecksum>): Promise<void> {
    const tmp = `${this.#indexFile}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(map), null, 1), { mode: 0o600 });
    await rename(tmp, this.#indexFile);
  }

  /** Deletes a managed archive. */
  async delete(localPath: string): Promise<string> {
    const file = this.assertManaged(localPath);
    try {
      await rm(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new QuorumError('not-found', `${path.basename(file)} is no longer there. Refresh the list.`);
      throw error;
    }
    await this.forget(file);
    return file;
  }
}
