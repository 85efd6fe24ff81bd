import path from 'node:path';
import { deserialize } from 'bson';
import { backupIdFor } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import { parseStrictArchiveMetadata } from '../../../shared/restore/archive-metadata';
import type { CollectionMetadataFlavour } from '../../../shared/restore/collection-metadata';
import type { BackupInspection, InspectedDatabase, OplogTimestamp } from '../../../shared/restore/inspection';
import { describeReadFailure, invalidArchive } from '../archive/archive-errors';
import { DEFAULT_LIST_LIMIT, MAX_METADATA_BYTES, scanArchive, type ArchiveScan } from '../archive/archive-scan';
import { METADATA_ENTRY, OPLOG_ENTRY, ROOT_TAR_ENTRY, dumpBsonEntry, dumpMetadataEntry } from '../archive/juju-archive';

/**
 * The offline inspection of a backup before a restore touches anything:
 * one streaming pass of the one archive reader (`scanArchive`), then the
 * strict judgement a restore needs. Anything damaged or hostile is refused
 * with a QuorumError naming the problem (`archive-invalid`, `unsafe-path`,
 * `checksum-mismatch`); what survives is described in full for the operator.
 * Nothing is written anywhere.
 */

export interface InspectBackupOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** The SHA-1 (base64) the library or the server recorded for this archive. */
  readonly expectedChecksum?: string | null;
  /** How many members of root.tar to list (they are all counted). */
  readonly listLimit?: number;
}

const UNSAFE_SHOWN = 3;

function list(items: readonly string[]): string {
  const shown = items.slice(0, UNSAFE_SHOWN).join(', ');
  return items.length > UNSAFE_SHOWN ? `${shown} and ${items.length - UNSAFE_SHOWN} more` : shown;
}

/** `ts` of one oplog entry (the first or the last): the only two documents decoded. */
function oplogTs(doc: Buffer | null, which: string, name: string): OplogTimestamp | null {
  if (doc === null) return null;
  let ts: unknown;
  try {
    ts = deserialize(doc, { promoteLongs: false, promoteValues: false }).ts;
  } catch (error) {
    throw invalidArchive(name, `the ${which} entry of ${OPLOG_ENTRY} cannot be decoded as BSON`, error);
  }
  if (ts === null || typeof ts !== 'object' || (ts as { _bsontype?: unknown })._bsontype !== 'Timestamp') return null;
  const { t, i } = ts as { t: number; i: number };
  return { seconds: t, increment: i, iso: new Date(t * 1000).toISOString() };
}

/** Refuses what no restore may proceed from, in the order an operator needs to hear it. */
function refuseDamage(scan: ArchiveScan, name: string): void {
  if (scan.entryCount === 0) throw invalidArchive(name, 'the contents are not a valid tar archive');
  if (scan.unsafe.length > 0) {
    throw new QuorumError('unsafe-path', `${name} holds unsafe members: ${list(scan.unsafe)}. Quorum will not restore from it; it was not written anywhere.`, {
      details: { members: scan.unsafe.length },
    });
  }
  if (scan.oversizedHeaders.length > 0) throw invalidArchive(name, `a tar header is oversized (${list(scan.oversizedHeaders)}), which Juju never writes`);
  if (scan.rootTar.error !== null) throw invalidArchive(name, `root.tar is damaged: ${describeReadFailure(scan.rootTar.error)}`, scan.rootTar.error);
  if (scan.dataAfterEnd) throw invalidArchive(name, 'there is data after the end of the tar archive');
  if (scan.outside.length > 0) throw invalidArchive(name, `it is not Juju's layout: ${list(scan.outside)} ${scan.outside.length === 1 ? 'is' : 'are'} outside juju-backup/`);
  if (scan.duplicates.length > 0) throw invalidArchive(name, `${list(scan.duplicates)} appear${scan.duplicates.length === 1 ? 's' : ''} more than once, so its contents are ambiguous`);
  if (scan.metadataText === null && scan.metadataBytes > MAX_METADATA_BYTES) throw invalidArchive(name, `${METADATA_ENTRY} is ${scan.metadataBytes} bytes, too large to be Juju's`);
  if (scan.metadataText === null && !scan.rootTar.present && !scan.dumpPresent) {
    throw invalidArchive(name, `there is no ${METADATA_ENTRY}, root.tar or dump/: it is not a Juju backup`);
  }
  if (!scan.rootTar.present) throw invalidArchive(name, `there is no ${ROOT_TAR_ENTRY} (the state server's files)`);
  if (!scan.dumpPresent) throw invalidArchive(name, 'there is no juju-backup/dump/ (the juju-db dump)');
  for (const c of scan.collections) {
    if (c.bson?.problem) throw invalidArchive(name, `${dumpBsonEntry(c.db, c.name)} is damaged: ${c.bson.problem}`);
    if (c.metadataProblem) throw invalidArchive(name, `${dumpMetadataEntry(c.db, c.name)} is unreadable: ${c.metadataProblem}`);
  }
  if (scan.oplog?.problem) throw invalidArchive(name, `${OPLOG_ENTRY} is damaged: ${scan.oplog.problem}`);
}

function databasesOf(scan: ArchiveScan): { databases: InspectedDatabase[]; flavours: Record<CollectionMetadataFlavour | 'missing', number> } {
  const flavours: Record<CollectionMetadataFlavour | 'missing', number> = { 'mongodump-2.4': 0, json: 0, empty: 0, missing: 0 };
  const byDb = new Map<string, InspectedDatabase['collections'][number][]>();
  for (const c of scan.collections) {
    const flavour = c.metadata?.flavour ?? 'missing';
    flavours[flavour]++;
    const colls = byDb.get(c.db) ?? [];
    byDb.set(c.db, colls);
    colls.push({
      name: c.name,
      documents: c.bson?.documents ?? 0,
      bytes: c.bson?.bytes ?? 0,
      hasBson: c.bson !== null,
      metadataFlavour: flavour,
      indexes: c.metadata?.indexNames.length ?? 0,
      capped: c.metadata?.capped ?? false,
    });
  }
  const databases = [...byDb.entries()].map(([db, collections]) => ({
    name: db,
    collections,
    documents: collections.reduce((n, c) => n + c.documents, 0),
    bytes: collections.reduce((n, c) => n + c.bytes, 0),
  }));
  return { databases, flavours };
}

/**
 * Inspects a backup archive offline. Resolves with everything the Restore
 * page shows; rejects with `archive-invalid`, `unsafe-path` or
 * `checksum-mismatch` (and `not-found`/`cancelled` as usual).
 */
export async function inspectBackup(file: string, options: InspectBackupOptions = {}): Promise<BackupInspection> {
  const name = path.basename(file);
  const listLimit = options.listLimit ?? DEFAULT_LIST_LIMIT;
  let scan: ArchiveScan;
  try {
    scan = await scanArchive(file, {
      listLimit,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw new QuorumError('cancelled', `Inspecting ${name} was cancelled; nothing was written.`, { cause: error });
    throw error;
  }
  const expected = options.expectedChecksum ?? null;
  if (expected !== null && scan.checksum !== expected) {
    throw new QuorumError(
      'checksum-mismatch',
      `${name} does not match its recorded checksum (SHA-1 ${scan.checksum}, recorded ${expected}): it changed or was damaged since the backup. Do not restore from it; use another copy.`,
      { details: { actual: scan.checksum, expected } },
    );
  }
  refuseDamage(scan, name);
  let metadata: BackupInspection['metadata'] = null;
  let extraKeys: readonly string[] = [];
  if (scan.metadataText !== null) {
    try {
      const strict = parseStrictArchiveMetadata(scan.metadataText);
      metadata = strict.metadata;
      extraKeys = strict.extraKeys;
    } catch (error) {
      throw invalidArchive(name, `metadata.json is not Juju's: ${(error as Error).message}`, error);
    }
  }
  const { databases, flavours } = databasesOf(scan);
  const oplog = scan.oplog && {
    documents: scan.oplog.documents,
    bytes: scan.oplog.bytes,
    first: oplogTs(scan.oplog.first, 'first', name),
    last: oplogTs(scan.oplog.last, 'last', name),
  };
  return {
    file,
    fileName: name,
    size: scan.size,
    checksum: scan.checksum,
    expectedChecksum: expected,
    gzip: { compressedBytes: scan.size, uncompressedBytes: scan.uncompressedBytes },
    layout: { metadataJson: scan.metadataText !== null, rootTar: scan.rootTar.present, dump: scan.dumpPresent, otherMembers: scan.otherMembers },
    metadata,
    metadataExtraKeys: extraKeys,
    backupId: metadata?.started ? backupIdFor(new Date(metadata.started), metadata.environment) : null,
    rootTar: {
      files: scan.rootTar.members,
      fileCount: scan.rootTar.memberCount,
      listLimit,
      bytes: scan.rootTar.bytes,
      agentConfs: scan.rootTar.agentConfs,
    },
    dump: {
      databases,
      documents: databases.reduce((n, d) => n + d.documents, 0),
      bytes: databases.reduce((n, d) => n + d.bytes, 0),
      flavours,
    },
    oplog,
  };
}
