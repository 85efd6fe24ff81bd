import { parseArchiveMetadataJson, type BackupMetadata } from '../backups/metadata';

/**
 * The strict reading of `juju-backup/metadata.json` a restore needs. Go's
 * decoder (and `parseArchiveMetadataJson`, used when listing a library)
 * forgives missing keys; before replacing a state server Quorum does not:
 * a Juju 1.21+ archive has all 12 `flatMetadata` keys with their Go types
 * (facts §1.4), so anything else was not written by Juju or was altered.
 */

/** The 12 keys in Juju's order, with the JSON type each must have. */
export const ARCHIVE_METADATA_KEYS = [
  ['ID', 'string'],
  ['Checksum', 'string'],
  ['ChecksumFormat', 'string'],
  ['Size', 'number'],
  ['Stored', 'time'],
  ['Started', 'time'],
  ['Finished', 'time'],
  ['Notes', 'string'],
  ['Environment', 'string'],
  ['Machine', 'string'],
  ['Hostname', 'string'],
  ['Version', 'string'],
] as const;

export interface StrictArchiveMetadata {
  readonly metadata: BackupMetadata;
  /** Keys Juju does not write (Go ignores them; shown, not fatal). */
  readonly extraKeys: readonly string[];
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/**
 * Parses metadata.json and checks every key and type. Throws a TypeError
 * whose message names the problem (`Size is missing`, `Version is not a
 * string`, …).
 */
export function parseStrictArchiveMetadata(text: string): StrictArchiveMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new TypeError('metadata.json is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TypeError('metadata.json is not a JSON object');
  const o = raw as Record<string, unknown>;
  const missing = ARCHIVE_METADATA_KEYS.filter(([k]) => !(k in o)).map(([k]) => k);
  if (missing.length > 0) throw new TypeError(`metadata.json lacks ${missing.join(', ')} (Juju writes all 12 keys)`);
  for (const [key, type] of ARCHIVE_METADATA_KEYS) {
    const v = o[key];
    if (type === 'string' && typeof v !== 'string') throw new TypeError(`${key} is not a string`);
    if (type === 'number' && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) throw new TypeError(`${key} is not a byte count`);
    if (type === 'time' && (typeof v !== 'string' || !RFC3339.test(v))) throw new TypeError(`${key} is not an RFC 3339 time`);
  }
  const known = new Set<string>(ARCHIVE_METADATA_KEYS.map(([k]) => k));
  const extraKeys = Object.keys(o).filter((k) => !known.has(k));
  return { metadata: parseArchiveMetadataJson(text), extraKeys };
}
