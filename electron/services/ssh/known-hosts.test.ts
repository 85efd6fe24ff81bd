import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import {
  checkHostKey,
  entryMatches,
  fingerprintOf,
  formatKnownHostLine,
  hashHostName,
  keyTypeOf,
  knownHostName,
  parseKnownHosts,
} from './known-hosts';
import { KnownHostsStore } from './known-hosts-store';
import { generateKeyPair } from './test-ssh-server';

function blob(publicLine: string): Buffer {
  return Buffer.from(publicLine.split(' ')[1]!, 'base64');
}

const ed = generateKeyPair('ed25519');
const ed2 = generateKeyPair('ed25519');
const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 1024 });

describe('fingerprints and key types', () => {
  it('matches OpenSSH for a known key', () => {
    // `ssh-keygen -lf` on this public key prints this fingerprint.
    const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const b = Buffer.from(key, 'base64');
    expect(keyTypeOf(b)).toBe('ssh-ed25519');
    expect(fingerprintOf(b)).toBe('SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU');
  });

  it('names key types from the blob', () => {
    expect(keyTypeOf(blob(ed.public))).toBe('ssh-ed25519');
    expect(keyTypeOf(blob(rsa.public))).toBe('ssh-rsa');
    expect(() => keyTypeOf(Buffer.from([0, 0]))).toThrow();
  });
});

describe('parse and match', () => {
  it('uses [host]:port for non-22 ports', () => {
    expect(knownHostName('10.0.0.5', 22)).toBe('10.0.0.5');
    expect(knownHostName('127.0.0.1', 40222)).toBe('[127.0.0.1]:40222');
  });

  it('parses plain, list, wildcard, negated, hashed and marked entries; skips junk', () => {
    const salt = randomBytes(20);
    const text = [
      '# comment',
      '',
      `10.0.0.5,machine-0 ${ed.public.split(' ').slice(0, 2).join(' ')} root@machine-0`,
      `[127.0.0.1]:40222 ${rsa.public.split(' ').slice(0, 2).join(' ')}`,
      `${hashHostName('[127.0.0.1]:40223', salt)} ${ed.public.split(' ').slice(0, 2).join(' ')}`,
      `*.example.com,!bad.example.com ${ed2.public.split(' ').slice(0, 2).join(' ')}`,
      `@revoked * ${ed2.public.split(' ').slice(0, 2).join(' ')}`,
      `@cert-authority *.corp ${ed.public.split(' ').slice(0, 2).join(' ')}`,
      'garbage line',
      `host ssh-rsa ${blob(ed.public).toString('base64')}`, // type mismatch: skipped
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(entries[0]!.comment).toBe('root@machine-0');
    expect(entryMatches(entries[0]!, '10.0.0.5', 22)).toBe(true);
    expect(entryMatches(entries[0]!, 'MACHINE-0', 22)).toBe(true);
    expect(entryMatches(entries[0]!, '10.0.0.5', 2222)).toBe(false);
    expect(entryMatches(entries[1]!, '127.0.0.1', 40222)).toBe(true);
    expect(entryMatches(entries[1]!, '127.0.0.1', 22)).toBe(false);
    expect(entryMatches(entries[2]!, '127.0.0.1', 40223)).toBe(true);
    expect(entryMatches(entries[2]!, '127.0.0.1', 40222)).toBe(false);
    expect(entryMatches(entries[3]!, 'a.example.com', 22)).toBe(true);
    expect(entryMatches(entries[3]!, 'bad.example.com', 22)).toBe(false);
    expect(entries[4]!.marker).toBe('revoked');
    expect(entries[5]!.marker).toBe('cert-authority');
  });

  it('decides known, changed, revoked and unknown like OpenSSH', () => {
    const text = [
      formatKnownHostLine('10.0.0.5', 22, blob(ed.public)),
      formatKnownHostLine('10.0.0.6', 22, blob(rsa.public)),
      `@revoked 10.0.0.9 ${ed2.public.split(' ').slice(0, 2).join(' ')}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(checkHostKey(entries, '10.0.0.5', 22, blob(ed.public)).kind).toBe('known');
    const changed = checkHostKey(entries, '10.0.0.5', 22, blob(ed2.public));
    expect(changed).toMatchObject({ kind: 'changed', knownFingerprint: fingerprintOf(blob(ed.public)) });
    expect(checkHostKey(entries, '10.0.0.6', 22, blob(ed.public))).toEqual({ kind: 'unknown', otherKeyTypes: ['ssh-rsa'] });
    expect(checkHostKey(entries, '10.0.0.7', 22, blob(ed.public))).toEqual({ kind: 'unknown', otherKeyTypes: [] });
    expect(checkHostKey(entries, '10.0.0.9', 22, blob(ed2.public)).kind).toBe('revoked');
  });

  it('formats lines that parse back', () => {
    const line = formatKnownHostLine('127.0.0.1', 40222, blob(ed.public), 'sandbox');
    expect(line).toBe(`[127.0.0.1]:40222 ssh-ed25519 ${blob(ed.public).toString('base64')} sandbox`);
    const [entry] = parseKnownHosts(line);
    expect(entry!.key.equals(blob(ed.public))).toBe(true);
  });
});

describe('KnownHostsStore', () => {
  it('adds entries atomically with mode 0600, keeps existing lines and refuses to replace a key', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-kh-'));
    try {
      const file = path.join(dir, 'sub', 'known_hosts');
      const store = new KnownHostsStore(file);
      expect((await store.check('h', 22, blob(ed.public))).kind).toBe('unknown');
      await Promise.all([store.add('h', 22, blob(ed.public)), store.add('h2', 2222, blob(rsa.public))]);
      await store.add('h', 22, blob(ed.public)); // duplicate: no second line
      const verdict = await store.add('h', 22, blob(ed2.public));
      expect(verdict.kind).toBe('changed');
      const text = await fs.readFile(file, 'utf8');
      expect(text.trim().split('\n')).toHaveLength(2);
      expect(text).toContain('[h2]:2222 ssh-rsa ');
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      expect((await fs.readdir(path.dirname(file))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect((await store.check('h', 22, blob(ed.public))).kind).toBe('known');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
