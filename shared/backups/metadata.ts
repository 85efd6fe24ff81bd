/**
 * Juju 1.25's backup metadata: the 12 fields, the backup ID and file names,
 * `metadata.json` exactly as Juju writes it inside an archive, and the
 * metadata block its CLI prints. Pure TypeScript, shared by the backups
 * service (which writes archives) and the renderer (which shows the block).
 */

/** Juju's `checksumFormat` constant. */
export const CHECKSUM_FORMAT = 'SHA-1, base64 encoded';

/** Juju's `--no-download` warning, word for word. */
export const NO_DOWNLOAD_WARNING =
  'downloading backup archives is recommended; backups stored remotely are not guaranteed to be available';

/** The 12 metadata fields in Juju's order (`flatMetadata`). Times are ISO-8601 UTC strings or null for Go's zero time. */
export interface BackupMetadata {
  readonly id: string;
  readonly checksum: string;
  readonly checksumFormat: string;
  readonly size: number;
  readonly stored: string | null;
  readonly started: string | null;
  readonly finished: string | null;
  readonly notes: string;
  readonly environment: string;
  readonly machine: string;
  readonly hostname: string;
  readonly version: string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function compactUtc(date: Date): string {
  return (
    `${date.getUTCFullYear()}${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}-` +
    `${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}`
  );
}

/** `YYYYMMDD-hhmmss.<env uuid>` from the UTC start time (Juju's `newStorageID`). */
export function backupIdFor(started: Date, environmentUuid: string): string {
  return `${compactUtc(started)}.${environmentUuid}`;
}

/** `juju-backup-YYYYMMDD-hhmmss.tar.gz`, what `juju backups create` downloads to. */
export function defaultBackupFilename(started: Date): string {
  return `juju-backup-${compactUtc(started)}.tar.gz`;
}

/** `juju-backup-<ID>.tar.gz`, what `juju backups download` writes. */
export function downloadFilenameFor(id: string): string {
  return `juju-backup-${id}.tar.gz`;
}

const ID_PATTERN = /^(\d{8}-\d{6})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** True for a well-formed backup ID. */
export function isBackupId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** Fractional seconds as Go prints them: trailing zeros trimmed, none when zero. */
function goFraction(iso: string): string {
  const m = /\.(\d+)Z$/.exec(iso);
  const digits = (m?.[1] ?? '').replace(/0+$/, '');
  return digits.length > 0 ? `.${digits}` : '';
}

function datePart(iso: string): Date {
  return new Date(iso);
}

/** Go's RFC3339Nano form (`time.Time` marshalled to JSON); null → the zero time. */
export function goRfc3339(iso: string | null): string {
  if (iso === null) return '0001-01-01T00:00:00Z';
  const d = datePart(iso);
  const base = d.toISOString().slice(0, 19);
  return `${base}${goFraction(iso)}Z`;
}

/** Go's `Time.String()` for a UTC time: `2015-09-14 15:06:30.123 +0000 UTC`. */
export function goTimeString(iso: string | null): string {
  if (iso === null) return '0001-01-01 00:00:00 +0000 UTC';
  const d = datePart(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}${goFraction(iso)} +0000 UTC`;
}

/** A JSON string as Go's encoding/json writes it (HTML-safe escapes). */
export function goJsonString(value: string): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A string as Go's `%q` prints it (strconv.Quote). */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\u0007') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && cp < 0xa0) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** What Juju knows when it writes `metadata.json`, before the archive exists. */
export interface ArchiveOrigin {
  /** Start time (ISO, UTC); Juju records nanoseconds, Quorum milliseconds. */
  readonly started: string;
  readonly notes: string;
  readonly environment: string;
  readonly machine: string;
  readonly hostname: string;
  readonly version: string;
}

/**
 * `juju-backup/metadata.json` byte for byte as Juju 1.25 writes it: Go field
 * names in order, no spaces, HTML-safe escapes, a trailing newline (from
 * `json.Encoder`), and the quirk that ID, checksum, size, stored and finished
 * are still empty/zero because the file is written before the archive.
 */
export function archiveMetadataJson(origin: ArchiveOrigin): string {
  const fields: Array<[string, string]> = [
    ['ID', goJsonString('')],
    ['Checksum', goJsonString('')],
    ['ChecksumFormat', goJsonString('')],
    ['Size', '0'],
    ['Stored', goJsonString(goRfc3339(null))],
    ['Started', goJsonString(goRfc3339(origin.started))],
    ['Finished', goJsonString(goRfc3339(null))],
    ['Notes', goJsonString(origin.notes)],
    ['Environment', goJsonString(origin.environment)],
    ['Machine', goJsonString(origin.machine)],
    ['Hostname', goJsonString(origin.hostname)],
    ['Version', goJsonString(origin.version)],
  ];
  return `{${fields.map(([k, v]) => `"${k}":${v}`).join(',')}}\n`;
}

const ZERO_TIME_PREFIX = '0001-01-01T00:00:00';

function parseGoTime(value: unknown, key: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new TypeError(`${key} is not a time`);
  if (value.startsWith(ZERO_TIME_PREFIX)) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new TypeError(`${key} is not an RFC 3339 time`);
  // Keep the digits Go wrote (up to nanoseconds) but normalise to UTC.
  const frac = /\.(\d+)(Z|[+-]\d\d:\d\d)$/.exec(value)?.[1] ?? '';
  const base = d.toISOString().slice(0, 19);
  return frac.length > 0 && value.endsWith('Z') ? `${base}.${frac}Z` : d.toISOString();
}

function str(value: unknown, key: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new TypeError(`${key} is not a string`);
  return value;
}

/**
 * Reads an archive's `metadata.json` (Go's decoder is lenient: missing keys
 * are zero values). Throws a TypeError with the reason when it is not Juju's.
 */
export function parseArchiveMetadataJson(text: string): BackupMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new TypeError('metadata.json is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TypeError('metadata.json is not a JSON object');
  const o = raw as Record<string, unknown>;
  if (!('Started' in o) || !('Environment' in o)) throw new TypeError('metadata.json lacks Juju\'s Started and Environment fields');
  const size = o.Size ?? 0;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new TypeError('Size is not a byte count');
  return {
    id: str(o.ID, 'ID'),
    checksum: str(o.Checksum, 'Checksum'),
    checksumFormat: str(o.ChecksumFormat, 'ChecksumFormat'),
    size,
    stored: parseGoTime(o.Stored, 'Stored'),
    started: parseGoTime(o.Started, 'Started'),
    finished: parseGoTime(o.Finished, 'Finished'),
    notes: str(o.Notes, 'Notes'),
    environment: str(o.Environment, 'Environment'),
    machine: str(o.Machine, 'Machine'),
    hostname: str(o.Hostname, 'Hostname'),
    version: str(o.Version, 'Version'),
  };
}

/** The 12-line metadata block `juju backups create/info/list` print (labels padded to column 18). */
export function formatMetadataBlock(m: BackupMetadata): string {
  const rows: Array<[string, string]> = [
    ['backup ID:', goQuote(m.id)],
    ['checksum:', goQuote(m.checksum)],
    ['checksum format:', goQuote(m.checksumFormat)],
    ['size (B):', String(m.size)],
    ['stored:', goTimeString(m.stored)],
    ['started:', goTimeString(m.started)],
    ['finished:', goTimeString(m.finished)],
    ['notes:', goQuote(m.notes)],
    ['environment ID:', goQuote(m.environment)],
    ['machine ID:', goQuote(m.machine)],
    ['created on host:', goQuote(m.hostname)],
    ['juju version:', m.version],
  ];
  return rows.map(([label, value]) => `${label.padEnd(17)}${value}`).join('\n') + '\n';
}
