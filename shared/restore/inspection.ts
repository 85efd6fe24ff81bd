import type { BackupMetadata } from '../backups/metadata';
import type { CollectionMetadataFlavour } from './collection-metadata';

/**
 * What the offline inspection of a backup archive found: everything the
 * operator sees before anything is touched. Plain data (crosses IPC to the
 * Restore page as is); produced by `inspectBackup` in
 * electron/services/restore/inspect.ts and judged by `restoreVerdict`.
 * An archive that is damaged or hostile never gets one: it is refused with a
 * QuorumError instead.
 */

export interface RootTarFile {
  /** Relative path as stored (`var/lib/juju/...`: Juju strips the leading `/`). */
  readonly path: string;
  /** tar member type: File, Directory, SymbolicLink, Link. */
  readonly type: string;
  readonly size: number;
}

export interface InspectedCollection {
  readonly name: string;
  /** BSON documents, counted from their length prefixes (0 when there is no .bson). */
  readonly documents: number;
  /** Bytes of `<coll>.bson`. */
  readonly bytes: number;
  readonly hasBson: boolean;
  /** `<coll>.metadata.json`'s flavour, or `missing` when the dump has none for it. */
  readonly metadataFlavour: CollectionMetadataFlavour | 'missing';
  readonly indexes: number;
  readonly capped: boolean;
}

export interface InspectedDatabase {
  readonly name: string;
  readonly collections: readonly InspectedCollection[];
  readonly documents: number;
  readonly bytes: number;
}

/** A BSON Timestamp: seconds since the epoch and the increment within that second. */
export interface OplogTimestamp {
  readonly seconds: number;
  readonly increment: number;
  /** `seconds` as an ISO-8601 UTC time. */
  readonly iso: string;
}

export interface OplogSpan {
  readonly documents: number;
  readonly bytes: number;
  /** `ts` of the first and last entries (null when oplog.bson is empty or an entry has no Timestamp `ts`). */
  readonly first: OplogTimestamp | null;
  readonly last: OplogTimestamp | null;
}

export interface BackupInspection {
  readonly file: string;
  readonly fileName: string;
  /** Bytes of the `.tar.gz`. */
  readonly size: number;
  /** SHA-1 of the `.tar.gz`, base64 (Juju's `"SHA-1, base64 encoded"`). */
  readonly checksum: string;
  /** The library's or server's record it was checked against (it matched, or inspection would have failed). */
  readonly expectedChecksum: string | null;
  readonly gzip: { readonly compressedBytes: number; readonly uncompressedBytes: number };
  readonly layout: {
    /** `juju-backup/metadata.json` present (a 1.21+ API backup). */
    readonly metadataJson: boolean;
    readonly rootTar: boolean;
    readonly dump: boolean;
    /** Members under `juju-backup/` that Juju does not write (e.g. 1.20's `environconfig.json`); listed, not fatal. */
    readonly otherMembers: readonly string[];
  };
  /** metadata.json as written in the archive (ID, checksum, size, stored, finished empty as Juju leaves them); null without one. */
  readonly metadata: BackupMetadata | null;
  /** Keys in metadata.json that Juju does not write. */
  readonly metadataExtraKeys: readonly string[];
  /** `YYYYMMDD-hhmmss.<env uuid>` as Juju derives it on upload; null without a start time. */
  readonly backupId: string | null;
  readonly rootTar: {
    /** The members, in archive order (at most `listLimit`). */
    readonly files: readonly RootTarFile[];
    readonly fileCount: number;
    readonly listLimit: number;
    /** Uncompressed bytes of the files it holds. */
    readonly bytes: number;
    /** `var/lib/juju/agents/machine-<id>/agent.conf` members (what restore reads the credentials from). */
    readonly agentConfs: readonly string[];
  };
  readonly dump: {
    readonly databases: readonly InspectedDatabase[];
    readonly documents: number;
    readonly bytes: number;
    /** Collections per metadata.json flavour. */
    readonly flavours: Readonly<Record<CollectionMetadataFlavour | 'missing', number>>;
  };
  /** `dump/oplog.bson`, or null when the dump has none. */
  readonly oplog: OplogSpan | null;
}
