import crypto from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { BackupInspection } from '../../../shared/restore/inspection';
import { restoreVerdict } from '../../../shared/restore/verdict';
import { extractForRestore } from './extract';
import { inspectBackup } from './inspect';
import { agentConf, fixtureEntries, tarOf, writeBackupFixture, type FixtureEntry, type FixtureOptions } from './testing/backup-fixture';
import { rawTar, type RawEntry } from './testing/raw-tar';

/**
 * Property: whatever is done to a sound backup (truncated, bytes flipped,
 * garbage appended, hostile members injected in the archive or in its
 * root.tar, metadata.json swapped, a dump file replaced), inspecting and
 * extracting it either refuses it with a QuorumError that names the
 * problem, or inspects it consistently; and never writes one byte outside
 * the staging folder. The base archive is small so 1,000+ runs stay fast.
 */

const RUNS = 1000;
/** Run folders sit this deep under the test root, so every `..` the generator can produce still lands inside it (and in the snapshot). */
const NEST = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'];
const MAX_DOTDOT = 6;
const REFUSAL_CODES = new Set(['archive-invalid', 'unsafe-path', 'checksum-mismatch']);

const SMALL: FixtureOptions = {
  collections: [
    { db: 'admin', name: 'system.users', flavour: 'mongodump-2.4', documents: [{ user: 'machine-0', pwd: 'x' }], indexes: [{ v: 1, key: { _id: 1 }, ns: 'admin.system.users', name: '_id_' }] },
    { db: 'juju', name: 'machines', flavour: 'json', documents: [{ _id: '0' }, { _id: '1' }], indexes: [{ v: 1, key: { _id: 1 }, ns: 'juju.machines', name: '_id_' }] },
  ],
};

let root: string;
let base: Buffer;
let baseChecksum: string;
let baseInfo: BackupInspection;
let runNo = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'restore-property-'));
  const written = await writeBackupFixture(path.join(root, 'base.tar.gz'), SMALL);
  base = await readFile(written.path);
  baseChecksum = written.checksum;
  baseInfo = await inspectBackup(written.path);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// ---- generators -------------------------------------------------------------

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: Array<{ at: number; xor: number }> }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'inject'; entry: RawEntry; first: boolean }
  | { kind: 'root-inject'; entry: RawEntry }
  | { kind: 'metadata'; text: string | null }
  | { kind: 'dump-bytes'; bytes: Uint8Array };

const name = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,12}$/);
const dotdots = fc.integer({ min: 1, max: MAX_DOTDOT }).map((n) => '../'.repeat(n));

/** Members no safe extraction may write; `%ABS%` is replaced by an absolute path inside the run's folder. */
const hostileEntry = (prefix: string): fc.Arbitrary<RawEntry> => {
  // Enough `..` to climb out of the member's own folder and then 1..MAX_DOTDOT more.
  const up = prefix.split('/').filter(Boolean).length;
  const escaping = dotdots.map((d) => `${'../'.repeat(up)}${d}`);
  return fc.oneof(
    name.map((n) => ({ path: `%ABS%/abs-${n}`, data: 'pwned' })),
    fc.tuple(dotdots, name).map(([d, n]) => ({ path: `${prefix}${d}dotdot-${n}`, data: 'pwned' })),
    fc.tuple(name, escaping).map(([n, d]) => ({ path: `${prefix}sym-${n}`, type: 'SymbolicLink' as const, linkpath: `${d}etc` })),
    name.map((n) => ({ path: `${prefix}abssym-${n}`, type: 'SymbolicLink' as const, linkpath: '%ABS%' })),
    fc.tuple(name, escaping).map(([n, d]) => ({ path: `${prefix}hard-${n}`, type: 'Link' as const, linkpath: `${d}outside.txt` })),
    fc.tuple(name, fc.constantFrom('CharacterDevice' as const, 'BlockDevice' as const, 'FIFO' as const)).map(([n, type]) => ({ path: `${prefix}dev-${n}`, type })),
  );
};

const ORIGIN_JSON = (over: Record<string, unknown>): string =>
  JSON.stringify({ ID: '', Checksum: '', ChecksumFormat: '', Size: 0, Stored: '0001-01-01T00:00:00Z', Started: '2015-09-14T15:06:14.123Z', Finished: '0001-01-01T00:00:00Z', Notes: '', Environment: 'f41b1639-09b3-4eb7-8fbf-0927558cdf44', Machine: '0', Hostname: 'h', Version: '1.25.6', ...over });

const swappedMetadata: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.json({ maxDepth: 2 }),
  fc.constantFrom('ID', 'Size', 'Started', 'Version', 'Environment', 'Machine').map((k) => {
    const o = JSON.parse(ORIGIN_JSON({})) as Record<string, unknown>;
    delete o[k];
    return JSON.stringify(o);
  }),
  fc.constantFrom<Record<string, unknown>>({ Size: '0' }, { Version: 1.25 }, { Started: 'now' }, { Machine: null }, { Notes: [] }).map(ORIGIN_JSON),
  fc.constantFrom('1.21.3', '1.22.0', '2.0.0', '9999.9999.9999', 'x', '1.25.6-trusty-amd64').map((Version) => ORIGIN_JSON({ Version })),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((n) => ({ kind: 'truncate' as const, at: n })),
  fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }).map((flips) => ({ kind: 'flip' as const, flips })),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ kind: 'append' as const, bytes })),
  fc.tuple(hostileEntry('juju-backup/'), fc.boolean()).map(([entry, first]) => ({ kind: 'inject' as const, entry, first })),
  hostileEntry('var/lib/juju/').map((entry) => ({ kind: 'root-inject' as const, entry })),
  swappedMetadata.map((text) => ({ kind: 'metadata' as const, text })),
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((bytes) => ({ kind: 'dump-bytes' as const, bytes })),
);

// ---- building a mutated archive ----------------------------------------------

function resolveAbs(entry: RawEntry, runDir: string): RawEntry {
  const abs = path.join(runDir, 'abs-target');
  return { ...entry, path: entry.path.replace('%ABS%', abs), ...(entry.linkpath ? { linkpath: entry.linkpath.replace('%ABS%', abs) } : {}) };
}

function gz(entries: readonly FixtureEntry[], extra: { readonly first?: readonly RawEntry[]; readonly last?: readonly RawEntry[] } = {}): Buffer {
  const own = rawTar(entries.map((e) => (e.data === null ? { path: `${e.path}/`, type: 'Directory' as const } : { path: e.path, data: e.data })), { end: false });
  return zlib.gzipSync(Buffer.concat([rawTar(extra.first ?? [], { end: false }), own, rawTar(extra.last ?? [], { end: false }), Buffer.alloc(1024)]), { level: 1 });
}

function build(m: Mutation, runDir: string): Buffer {
  switch (m.kind) {
    case 'truncate':
      return base.subarray(0, m.at % base.length);
    case 'flip': {
      const b = Buffer.from(base);
      for (const f of m.flips) b[f.at % b.length] = b[f.at % b.length]! ^ f.xor;
      return b;
    }
    case 'append':
      return Buffer.concat([base, m.bytes]);
    case 'inject': {
      const e = resolveAbs(m.entry, runDir);
      return gz(fixtureEntries(SMALL), m.first ? { first: [e] } : { last: [e] });
    }
    case 'root-inject': {
      const ok = tarOf([{ name: 'var/lib/juju/agents/machine-0/agent.conf', data: agentConf('0') }]);
      const rootTar = Buffer.concat([ok.subarray(0, ok.length - 1024), rawTar([resolveAbs(m.entry, runDir)])]);
      return gz(fixtureEntries({ ...SMALL, rootTar }));
    }
    case 'metadata':
      return gz(fixtureEntries({ ...SMALL, metadataText: m.text }));
    case 'dump-bytes':
      return gz(fixtureEntries(SMALL).map((e) => (e.path === 'juju-backup/dump/juju/machines.bson' ? { ...e, data: Buffer.from(m.bytes) } : e)));
  }
}

// ---- the "nothing outside" check ----------------------------------------------

/** Every path under `dir` (but `skip`) with its type, size and content hash. */
async function snapshot(dir: string, skip: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (p === skip) continue;
      const st = await lstat(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) {
        out.push(`${rel}/`);
        await walk(p);
      } else if (st.isSymbolicLink()) out.push(`${rel} -> ${await readlink(p)}`);
      else if (st.isFile()) out.push(`${rel} ${st.size} ${crypto.createHash('sha1').update(await readFile(p)).digest('hex')}`);
      else out.push(`${rel} special`);
    }
  };
  await walk(dir);
  return out.sort();
}

async function stagingContents(staging: string): Promise<string[]> {
  return readdir(staging, { recursive: true }).catch(() => []);
}

// ---- the property -------------------------------------------------------------

describe('hostile or damaged archives (property)', () => {
  it(`refuses or consistently inspects ${RUNS} mutated archives, writing nothing outside staging`, async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutation, fc.boolean(), fc.boolean(), async (m, withChecksum, full) => {
        const runDir = path.join(root, `run-${runNo++}`, ...NEST);
        await mkdir(runDir, { recursive: true });
        const file = path.join(runDir, 'juju-backup.tar.gz');
        const bytes = build(m, runDir);
        await writeFile(file, bytes);
        await writeFile(path.join(runDir, 'outside.txt'), 'keep');
        const staging = path.join(runDir, 'staging');
        const top = path.join(root, path.relative(root, runDir).split(path.sep)[0]!);
        const before = await snapshot(top, staging);
        const expectedChecksum = withChecksum ? baseChecksum : null;
        let outcome: string;
        try {
          const r = await extractForRestore(file, staging, { expectedChecksum, contents: full ? 'full' : 'credentials' });
          outcome = 'inspected';
          const info = r.inspection;
          // Consistent: what was read is this file, the totals add up, and a second reading agrees.
          expect(info.checksum).toBe(crypto.createHash('sha1').update(bytes).digest('base64'));
          expect(info.size).toBe(bytes.length);
          expect(info.dump.documents).toBe(info.dump.databases.reduce((n, d) => n + d.documents, 0));
          expect(info.rootTar.fileCount).toBeGreaterThanOrEqual(info.rootTar.files.length);
          expect(await inspectBackup(file)).toEqual({ ...info, expectedChecksum: null });
          const verdict = restoreVerdict(info);
          expect(verdict).toEqual(restoreVerdict(info));
          expect(verdict.reason).toMatch(/\.$/);
          if (m.kind === 'truncate' || m.kind === 'flip' || m.kind === 'append') {
            // A harmless change to the bytes (a gzip header field) must not change what is inside.
            expect({ ...info, file: '', checksum: '', fileName: '', size: 0, expectedChecksum: null }).toEqual({ ...baseInfo, file: '', checksum: '', fileName: '', size: 0, expectedChecksum: null });
          }
          if (m.kind === 'inject' || m.kind === 'root-inject') throw new Error('a hostile member was accepted');
        } catch (error) {
          if (!(error instanceof QuorumError)) throw error;
          outcome = error.code;
          expect(REFUSAL_CODES.has(error.code), `${error.code}: ${error.message}`).toBe(true);
          // A clear sentence that names the problem.
          expect(error.message).toMatch(/^\S.{20,}\.$/s);
          expect(error.message).toMatch(/juju-backup\.tar\.gz|checksum/);
          if (m.kind === 'inject' || m.kind === 'root-inject') expect(['unsafe-path', 'checksum-mismatch']).toContain(error.code);
          expect(await stagingContents(staging)).toEqual([]);
        }
        seen.set(`${m.kind}:${outcome}`, (seen.get(`${m.kind}:${outcome}`) ?? 0) + 1);
        // Not one byte outside staging: the run's tree (archive, outside.txt, any escape target) is unchanged.
        expect(await snapshot(top, staging)).toEqual(before);
        await rm(top, { recursive: true, force: true });
      }),
      { numRuns: RUNS },
    );
    // Every kind of mutation was generated, and refusals of each code were seen.
    const kinds = new Set([...seen.keys()].map((k) => k.split(':')[0]));
    expect([...kinds].sort()).toEqual(['append', 'dump-bytes', 'flip', 'inject', 'metadata', 'root-inject', 'truncate']);
    for (const code of ['archive-invalid', 'unsafe-path', 'checksum-mismatch']) expect([...seen.keys()].some((k) => k.endsWith(`:${code}`)), code).toBe(true);
    console.log('property outcomes', Object.fromEntries([...seen.entries()].sort()));
  }, 180_000);
});
