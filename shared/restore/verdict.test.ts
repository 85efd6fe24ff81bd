import { describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../backups/metadata';
import type { BackupInspection } from './inspection';
import { CANNOT_RESTORE_VERSION, NO_OPLOG_TO_REPLAY, restoreVerdict, type RestoreWarningCode } from './verdict';

const ENV = 'f41b1639-09b3-4eb7-8fbf-0927558cdf44';

const metadata = (over: Partial<BackupMetadata> = {}): BackupMetadata => ({
  id: '',
  checksum: '',
  checksumFormat: '',
  size: 0,
  stored: null,
  started: '2015-09-14T15:06:14.123Z',
  finished: null,
  notes: '',
  environment: ENV,
  machine: '0',
  hostname: 'juju-0',
  version: '1.25.6',
  ...over,
});

function inspection(over: { metadata?: BackupMetadata | null; oplog?: boolean; documents?: number; databases?: number; agentConfs?: string[]; missing?: number; extraKeys?: string[] } = {}): BackupInspection {
  const documents = over.documents ?? 10;
  const databases = Array.from({ length: over.databases ?? 1 }, (_, n) => ({
    name: `db${n}`,
    documents,
    bytes: documents * 100,
    collections: [{ name: 'machines', documents, bytes: documents * 100, hasBson: true, metadataFlavour: 'mongodump-2.4' as const, indexes: 1, capped: false }],
  }));
  return {
    file: '/x/juju-backup.tar.gz',
    fileName: 'juju-backup.tar.gz',
    size: 1000,
    checksum: 'c',
    expectedChecksum: null,
    gzip: { compressedBytes: 1000, uncompressedBytes: 5000 },
    layout: { metadataJson: over.metadata !== null, rootTar: true, dump: true, otherMembers: [] },
    metadata: over.metadata === undefined ? metadata() : over.metadata,
    metadataExtraKeys: over.extraKeys ?? [],
    backupId: null,
    rootTar: { files: [], fileCount: 1, listLimit: 100, bytes: 10, agentConfs: over.agentConfs ?? ['var/lib/juju/agents/machine-0/agent.conf'] },
    dump: {
      databases,
      documents: databases.length * documents,
      bytes: databases.length * documents * 100,
      flavours: { 'mongodump-2.4': databases.length, json: 0, empty: 0, missing: over.missing ?? 0 },
    },
    oplog: over.oplog === false ? null : { documents: 2, bytes: 200, first: null, last: null },
  };
}

const codes = (v: { warnings: readonly { code: RestoreWarningCode }[] }): RestoreWarningCode[] => v.warnings.map((w) => w.code);

describe('restoreVerdict: every version row of mongoRestoreArgsForVersion', () => {
  it.each([
    ['1.25.6', 'oplog-replay'],
    ['1.25.0', 'oplog-replay'],
    ['1.24.7', 'oplog-replay'],
    ['1.23.3', 'oplog-replay'],
    ['1.22.8', 'oplog-replay'],
    ['1.22.0', 'oplog-replay'],
    ['1.22-alpha1', 'oplog-replay'],
    ['1.22.8.1', 'oplog-replay'],
    ['1.21.3', 'no-oplog-replay'],
    ['1.21-alpha3', 'no-oplog-replay'],
    ['1.21-beta1', 'no-oplog-replay'],
    ['1.20.14', 'no-oplog-replay'],
    ['1.18.4', 'no-oplog-replay'],
    ['1.0.0', 'no-oplog-replay'],
  ] as const)('%s → %s', (version, path) => {
    const v = restoreVerdict(inspection({ metadata: metadata({ version }) }));
    expect(v).toMatchObject({ allowed: true, path });
    expect(v.mongorestoreArgs).toEqual(
      path === 'oplog-replay' ? ['--drop', '--journal', '--oplogReplay', '--dbpath', '/var/lib/juju/db'] : ['--drop', '--journal', '--dbpath', '/var/lib/juju/db'],
    );
    expect(v.reason).toContain(version);
    expect(codes(v)).toEqual([]);
  });

  it.each(['2.0.0', '2.9.42', '0.9.1', '3.1-beta2', '9999.9999.9999'])('%s → cannot restore this backup version', (version) => {
    const v = restoreVerdict(inspection({ metadata: metadata({ version }) }));
    expect(v).toMatchObject({ allowed: false, path: null, mongorestoreArgs: null, jujuError: CANNOT_RESTORE_VERSION });
    expect(v.reason).toContain(CANNOT_RESTORE_VERSION);
  });

  it('no metadata.json → cannot restore this backup version (Juju takes it as 9999.9999.9999)', () => {
    const v = restoreVerdict(inspection({ metadata: null }));
    expect(v).toMatchObject({ allowed: false, jujuError: CANNOT_RESTORE_VERSION, version: { major: 9999, minor: 9999 } });
    expect(v.reason).toMatch(/no juju-backup\/metadata\.json/);
  });

  it.each(['', 'latest', 'one.two', '.25.6'])('an unreadable version %j → cannot restore this backup version', (version) => {
    expect(restoreVerdict(inspection({ metadata: metadata({ version }) }))).toMatchObject({ allowed: false, jujuError: CANNOT_RESTORE_VERSION, version: null });
  });

  it.each([
    ['1.25.6-trusty-amd64', 'oplog-replay'],
    ['1.25', 'oplog-replay'],
    ['v1.21.1', 'no-oplog-replay'],
    [' 1.24.7', 'oplog-replay'],
  ] as const)('a version in an unknown format, %j, is read leniently with a warning', (version, path) => {
    const v = restoreVerdict(inspection({ metadata: metadata({ version }) }));
    expect(v).toMatchObject({ allowed: true, path });
    expect(codes(v)).toEqual(['version-format']);
  });
});

describe('restoreVerdict: the dump and root.tar', () => {
  it('refuses --oplogReplay without oplog.bson, as mongorestore would', () => {
    const v = restoreVerdict(inspection({ oplog: false }));
    expect(v).toMatchObject({ allowed: false, jujuError: null });
    expect(v.reason).toContain(NO_OPLOG_TO_REPLAY);
  });

  it('warns that a pre-1.22 dump without oplog.bson is not one point in time', () => {
    const v = restoreVerdict(inspection({ oplog: false, metadata: metadata({ version: '1.21.3' }) }));
    expect(v).toMatchObject({ allowed: true, path: 'no-oplog-replay' });
    expect(codes(v)).toEqual(['no-oplog']);
  });

  it.each([
    ['no databases', { databases: 0 }, /no databases/],
    ['no documents', { documents: 0 }, /no documents/],
  ])('warns about an empty dump (%s)', (_name, over, text) => {
    const v = restoreVerdict(inspection(over));
    expect(v.allowed).toBe(true);
    expect(codes(v)).toEqual(['empty-dump']);
    expect(v.warnings[0]!.message).toMatch(text);
  });

  it('refuses when root.tar lacks the origin machine\'s agent.conf', () => {
    const v = restoreVerdict(inspection({ metadata: metadata({ machine: '2' }) }));
    expect(v).toMatchObject({ allowed: false });
    expect(v.reason).toMatch(/var\/lib\/juju\/agents\/machine-2\/agent\.conf/);
    expect(restoreVerdict(inspection({ metadata: metadata({ machine: '2' }), agentConfs: ['var/lib/juju/agents/machine-2/agent.conf'] })).allowed).toBe(true);
  });

  it('warns about a missing start time, a non-UUID environment, collections without metadata.json and extra keys', () => {
    const v = restoreVerdict(inspection({ metadata: metadata({ started: null, environment: 'env-1' }), missing: 2, extraKeys: ['Series'] }));
    expect(v.allowed).toBe(true);
    expect(codes(v)).toEqual(['no-start-time', 'environment-not-uuid', 'collection-metadata-missing', 'metadata-extra-keys']);
    expect(v.warnings.map((w) => w.message).join(' ')).toMatch(/2 dumped collections have no metadata.json.*Series/);
  });
});
