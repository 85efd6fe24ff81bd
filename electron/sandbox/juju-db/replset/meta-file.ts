/**
 * A member's replication metadata (config, term) in `meta.json`, written
 * atomically (temp file + fsync + rename) so a crash leaves the old or the
 * new version, never a torn one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EJSON } from 'bson';
import type { ReplSetConfig } from './config';

export interface ReplMeta {
  config: ReplSetConfig | null;
  term: number;
}

export function readMeta(dir: string): ReplMeta {
  try {
    const parsed = EJSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'), { relaxed: true }) as { config: ReplSetConfig | null; term: unknown };
    return { config: parsed.config ?? null, term: Number(parsed.term ?? 0) };
  } catch {
    return { config: null, term: 0 };
  }
}

export function writeMeta(dir: string, meta: ReplMeta): void {
  const tmp = join(dir, 'meta.json.tmp');
  const text = EJSON.stringify({ config: meta.config, term: meta.term } as never, { relaxed: true });
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, 'meta.json'));
}
