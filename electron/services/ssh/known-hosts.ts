import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OpenSSH `known_hosts` format, pure functions: parse (plain, comma lists,
 * wildcards, negations, `[host]:port`, hashed `|1|salt|hash` entries and the
 * `@revoked` / `@cert-authority` markers), match a host, format a new line,
 * and compute OpenSSH's `SHA256:` fingerprints. Quorum keeps its own file in
 * this format so an operator can read it, diff it against `~/.ssh/known_hosts`
 * and edit it with the tools they already know (`ssh-keygen -R`).
 */

export type KnownHostMarker = 'revoked' | 'cert-authority' | null;

export interface KnownHostEntry {
  /** 1-based line number in the file, for messages ("line 7 of …/known_hosts"). */
  readonly line: number;
  readonly marker: KnownHostMarker;
  /** The host field as written (a pattern list or a hashed `|1|…` entry). */
  readonly hosts: string;
  readonly keyType: string;
  /** The public key blob (SSH wire format), decoded from base64. */
  readonly key: Buffer;
  readonly comment: string;
}

/** The name OpenSSH looks up for an endpoint: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's `SHA256:<base64 without padding>` fingerprint of a public key blob. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a public key blob (its first SSH string), e.g. `ssh-ed25519`. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) throw new RangeError('public key blob too short');
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || keyBlob.length < 4 + len) throw new RangeError('malformed public key blob');
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

/**
 * Parses a known_hosts file. Lines that cannot be parsed are skipped, as
 * OpenSSH does; they never match anything.
 */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostMarker = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hosts, keyType, b64, ...rest] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    try {
      if (keyTypeOf(key) !== keyType) continue;
    } catch {
      continue;
    }
    entries.push({ line: i + 1, marker, hosts, keyType, key, comment: rest.join(' ') });
  }
  return entries;
}

/** Glob match with OpenSSH's `*` and `?`. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );
  return re.test(name);
}

function hashedMatch(field: string, name: string): boolean {
  const parts = field.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const expected = Buffer.from(parts[3]!, 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether an entry's host field names `host:port`, following OpenSSH's rules. */
export function entryMatches(entry: Pick<KnownHostEntry, 'hosts'>, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (entry.hosts.startsWith('|')) return hashedMatch(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    if (pattern === '') continue;
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    if (globMatch(p, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** A hashed host field as `ssh-keygen -H` writes it (for tests and tools; Quorum writes plain names). */
export function hashHostName(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/** One known_hosts line for a key, the way `ssh` itself would append it. */
export function formatKnownHostLine(host: string, port: number, keyBlob: Buffer, comment?: string): string {
  const base = `${knownHostName(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}`;
  return comment ? `${base} ${comment}` : base;
}

export type HostKeyVerdict =
  /** A plain entry for this host has exactly this key. */
  | { readonly kind: 'known'; readonly entry: KnownHostEntry }
  /** The key is marked `@revoked`: never connect. */
  | { readonly kind: 'revoked'; readonly entry: KnownHostEntry }
  /** The host is known with this key type but another key. */
  | { readonly kind: 'changed'; readonly entry: KnownHostEntry; readonly knownFingerprint: string }
  /** Nothing known for this host and key type (other key types may be known). */
  | { readonly kind: 'unknown'; readonly otherKeyTypes: readonly string[] };

/**
 * Decides what a presented host key means against the parsed file. Order as
 * in OpenSSH: revoked wins, then an exact match, then a same-type mismatch.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const type = keyTypeOf(keyBlob);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(keyBlob) && entryMatches(e, host, port));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === null && entryMatches(e, host, port));
  const exact = forHost.find((e) => e.key.equals(keyBlob));
  if (exact) return { kind: 'known', entry: exact };
  const sameType = forHost.find((e) => e.keyType === type);
  if (sameType) return { kind: 'changed', entry: sameType, knownFingerprint: fingerprintOf(sameType.key) };
  return { kind: 'unknown', otherKeyTypes: [...new Set(forHost.map((e) => e.keyType))] };
}
