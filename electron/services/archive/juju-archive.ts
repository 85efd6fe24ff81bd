/**
 * Names inside a Juju backup archive (`state/backups/archive.go`):
 * everything under `juju-backup/`, with `metadata.json`, `root.tar` and
 * mongodump's `dump/` directory.
 */
export const CONTENT_DIR = 'juju-backup';
export const METADATA_ENTRY = `${CONTENT_DIR}/metadata.json`;
export const ROOT_TAR_ENTRY = `${CONTENT_DIR}/root.tar`;
export const DUMP_DIR = `${CONTENT_DIR}/dump`;
export const OPLOG_ENTRY = `${DUMP_DIR}/oplog.bson`;

/** `juju-backup/dump/<db>/<collection>.bson` */
export function dumpBsonEntry(db: string, collection: string): string {
  return `${DUMP_DIR}/${db}/${collection}.bson`;
}

/** `juju-backup/dump/<db>/<collection>.metadata.json` */
export function dumpMetadataEntry(db: string, collection: string): string {
  return `${DUMP_DIR}/${db}/${collection}.metadata.json`;
}

/**
 * The host files Juju 1.25 puts in `root.tar` (`state/backups/files.go`):
 * fixed paths, globs, and the optional ones that are skipped when missing.
 */
export function rootTarSources(machineId: string): { readonly required: readonly string[]; readonly globs: readonly string[]; readonly optional: readonly string[] } {
  return {
    required: ['/var/lib/juju/tools', '/var/lib/juju/system-identity', '/var/lib/juju/server.pem', '/var/lib/juju/shared-secret'],
    globs: ['/var/lib/juju/agents/machine-*', '/etc/rsyslog.d/*juju.conf'],
    optional: [
      '/var/lib/juju/init',
      '/var/log/juju/all-machines.log',
      `/var/log/juju/machine-${machineId}.log`,
      '/var/lib/juju/nonce.txt',
      '/home/ubuntu/.ssh/authorized_keys',
    ],
  };
}
