import type { BackupInspection } from './inspection';
import { parseJujuVersion, UNKNOWN_VERSION, type JujuVersion } from './juju-version';

/**
 * Which restore Juju 1.25 would run for an inspected archive, or why it
 * would not (`mongoRestoreArgsForVersion`, state/backups/db.go; facts §2.2
 * step 9 and docs/juju-db.md §4.9):
 *
 * | backup version        | mongorestore                                                  |
 * |-----------------------|---------------------------------------------------------------|
 * | 1.x, minor ≥ 22       | `--drop --journal --oplogReplay --dbpath /var/lib/juju/db <dump>` |
 * | 1.x, minor < 22       | `--drop --journal --dbpath /var/lib/juju/db <dump>`          |
 * | anything else         | `cannot restore this backup version`                          |
 *
 * An archive without metadata.json gets Juju's `UnknownOrigin` version
 * 9999.9999.9999, so it is "anything else". Pure: the Restore page, the
 * restore service and the tests all call this one function.
 */

export type RestorePath = 'oplog-replay' | 'no-oplog-replay';

export type RestoreWarningCode =
  | 'no-oplog'
  | 'empty-dump'
  | 'version-format'
  | 'no-start-time'
  | 'environment-not-uuid'
  | 'collection-metadata-missing'
  | 'metadata-extra-keys';

export interface RestoreWarning {
  readonly code: RestoreWarningCode;
  readonly message: string;
}

export type RestoreVerdict =
  | {
      readonly allowed: true;
      readonly path: RestorePath;
      readonly version: JujuVersion;
      /** mongorestore's arguments before the dump directory, exactly as Juju passes them. */
      readonly mongorestoreArgs: readonly string[];
      /** Which rule applied, in a sentence. */
      readonly reason: string;
      readonly warnings: readonly RestoreWarning[];
    }
  | {
      readonly allowed: false;
      readonly path: null;
      readonly version: JujuVersion | null;
      readonly mongorestoreArgs: null;
      /** Why not, in a sentence; Juju's own words where Juju has them. */
      readonly reason: string;
      /** Juju's error text when Juju itself would refuse (`cannot restore this backup version`). */
      readonly jujuError: string | null;
      readonly warnings: readonly RestoreWarning[];
    };

/** Juju's refusal, word for word. */
export const CANNOT_RESTORE_VERSION = 'cannot restore this backup version';
/** mongorestore 2.4's refusal of `--oplogReplay` without `oplog.bson` (tools/restore.cpp). */
export const NO_OPLOG_TO_REPLAY = 'No oplog file to replay. Make sure you run mongodump with --oplog.';
/** juju-db's data directory on a state server. */
export const JUJU_DB_PATH = '/var/lib/juju/db';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Juju's mongorestore arguments for a restore path (the dump directory goes last). */
export function mongorestoreArgsFor(path: RestorePath): readonly string[] {
  return path === 'oplog-replay'
    ? ['--drop', '--journal', '--oplogReplay', '--dbpath', JUJU_DB_PATH]
    : ['--drop', '--journal', '--dbpath', JUJU_DB_PATH];
}

function warningsFor(inspection: BackupInspection, version: JujuVersion | null, path: RestorePath | null): RestoreWarning[] {
  const warnings: RestoreWarning[] = [];
  const m = inspection.metadata;
  if (version !== null && !version.exact) {
    warnings.push({
      code: 'version-format',
      message: `The Juju version "${version.text}" is not in Juju's format (like 1.25.6 or 1.21-alpha3); Quorum read it as ${version.major}.${version.minor}.`,
    });
  }
  if (inspection.oplog === null && path === 'no-oplog-replay') {
    warnings.push({ code: 'no-oplog', message: 'The dump has no oplog.bson: the restored data is as each collection was dumped, not one point in time.' });
  }
  if (inspection.dump.databases.length === 0 || inspection.dump.documents === 0) {
    warnings.push({
      code: 'empty-dump',
      message:
        inspection.dump.databases.length === 0
          ? 'The dump holds no databases: the restored state server would start with an empty juju-db.'
          : 'The dump holds no documents: the restored state server would start with empty collections.',
    });
  }
  if (m !== null && m.started === null) {
    warnings.push({ code: 'no-start-time', message: 'metadata.json has no start time, so the backup has no ID and cannot be matched with the server\'s list.' });
  }
  if (m !== null && !UUID.test(m.environment)) {
    warnings.push({ code: 'environment-not-uuid', message: `The environment "${m.environment}" in metadata.json is not a UUID, so it cannot be matched with this environment.` });
  }
  const noMeta = inspection.dump.flavours.missing;
  if (noMeta > 0) {
    warnings.push({
      code: 'collection-metadata-missing',
      message: `${noMeta} dumped collection${noMeta === 1 ? ' has' : 's have'} no metadata.json: mongorestore restores ${noMeta === 1 ? 'it' : 'them'} without indexes or options.`,
    });
  }
  if (inspection.metadataExtraKeys.length > 0) {
    warnings.push({ code: 'metadata-extra-keys', message: `metadata.json has keys Juju does not write (${inspection.metadataExtraKeys.join(', ')}); Juju ignores them.` });
  }
  return warnings;
}

function refuse(reason: string, jujuError: string | null, version: JujuVersion | null, warnings: RestoreWarning[]): RestoreVerdict {
  return { allowed: false, path: null, version, mongorestoreArgs: null, reason, jujuError, warnings };
}

/** The restore Juju's rules allow for this archive, or why none. */
export function restoreVerdict(inspection: BackupInspection): RestoreVerdict {
  const m = inspection.metadata;
  if (m === null) {
    const version = parseJujuVersion(UNKNOWN_VERSION);
    return refuse(
      `The archive has no juju-backup/metadata.json (a Juju 1.20 plugin backup), so Juju takes its version as ${UNKNOWN_VERSION} and refuses: ${CANNOT_RESTORE_VERSION}.`,
      CANNOT_RESTORE_VERSION,
      version,
      warningsFor(inspection, null, null),
    );
  }
  const version = parseJujuVersion(m.version);
  if (version === null) {
    return refuse(
      `The Juju version "${m.version}" in metadata.json is not a version number, so Juju cannot choose mongorestore's arguments: ${CANNOT_RESTORE_VERSION}.`,
      CANNOT_RESTORE_VERSION,
      null,
      warningsFor(inspection, null, null),
    );
  }
  if (version.major !== 1) {
    return refuse(
      `The backup was made by Juju ${m.version}; Juju 1.25 restores only 1.x backups: ${CANNOT_RESTORE_VERSION}.`,
      CANNOT_RESTORE_VERSION,
      version,
      warningsFor(inspection, version, null),
    );
  }
  const path: RestorePath = version.minor >= 22 ? 'oplog-replay' : 'no-oplog-replay';
  const warnings = warningsFor(inspection, version, path);
  if (path === 'oplog-replay' && inspection.oplog === null) {
    return refuse(
      `A Juju ${m.version} backup is restored with mongorestore --oplogReplay, which stops when the dump has no oplog.bson ("${NO_OPLOG_TO_REPLAY}"); this archive has none.`,
      null,
      version,
      warnings,
    );
  }
  const origin = m.machine === '' ? '0' : m.machine;
  const agentConf = `var/lib/juju/agents/machine-${origin}/agent.conf`;
  if (!inspection.rootTar.agentConfs.includes(agentConf)) {
    return refuse(
      `root.tar has no ${agentConf}: the restore reads the state server's passwords and ports from it (machine ${origin} made the backup), so it cannot proceed.`,
      null,
      version,
      warnings,
    );
  }
  const reason =
    path === 'oplog-replay'
      ? `Juju ${m.version} is 1.x with minor version 22 or later: mongorestore replays the dump's oplog (--oplogReplay), so every collection lands on one point in time.`
      : `Juju ${m.version} is 1.x with minor version below 22: mongorestore restores the dump without --oplogReplay, as Juju does for those backups.`;
  return { allowed: true, path, version, mongorestoreArgs: mongorestoreArgsFor(path), reason, warnings };
}
