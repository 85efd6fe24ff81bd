import { mkdir, readdir, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { QuorumError } from '../../../shared/errors';
import type { BackupInspection } from '../../../shared/restore/inspection';
import { extractArchive, extractRootTarMembers, extractTarStream } from '../archive/safe-extract';
import { CONTENT_DIR, ROOT_TAR_ENTRY } from '../archive/juju-archive';
import { inspectBackup, type InspectBackupOptions } from './inspect';

/**
 * What the client side of a restore writes, and where.
 *
 * Decision: the archive itself goes to the replacement state server as it
 * is (Juju's restore unpacks it there, into `$TMPDIR/juju-backups-*`), so the
 * client extracts nothing by default but the one file its own steps read:
 * the origin machine's `agent.conf` from `root.tar` ("extracted credentials
 * from backup file": statepassword, oldpassword, stateport, apiport). It is
 * taken straight from the `.tar.gz` stream, so no copy of the archive or of
 * `root.tar` lands on the client. `full` extracts the whole archive and
 * `root.tar` (for a rehearsal or an operator who wants to look), through the
 * same safe extraction.
 *
 * Either way the archive is inspected first (strictly: hostile or damaged
 * archives are refused before a byte is written), only `stagingDir` is
 * written to, and on any failure `stagingDir` is left empty.
 */

export type ExtractContents = 'credentials' | 'full';

export interface ExtractForRestoreOptions extends InspectBackupOptions {
  readonly contents?: ExtractContents;
}

export interface ExtractedForRestore {
  readonly inspection: BackupInspection;
  readonly stagingDir: string;
  /** The origin machine's agent.conf under `<staging>/root/`, or null when root.tar has none. */
  readonly agentConf: string | null;
  /** `<staging>/archive/juju-backup` with `full`, else null. */
  readonly archiveDir: string | null;
  readonly files: number;
  readonly bytes: number;
}

async function empty(dir: string): Promise<void> {
  for (const child of await readdir(dir).catch(() => [] as string[])) await rm(path.join(dir, child), { recursive: true, force: true });
}

/** Inspects, then writes what the restore needs under `stagingDir` (which must be empty or absent). */
export async function extractForRestore(file: string, stagingDir: string, options: ExtractForRestoreOptions = {}): Promise<ExtractedForRestore> {
  const inspection = await inspectBackup(file, options);
  await mkdir(stagingDir, { recursive: true, mode: 0o700 });
  if ((await readdir(stagingDir)).length > 0) throw new QuorumError('conflict', `${stagingDir} is not empty; restore staging needs an empty folder.`);
  const machine = inspection.metadata?.machine || '0';
  const agentConfMember = `var/lib/juju/agents/machine-${machine}/agent.conf`;
  const hasAgentConf = inspection.rootTar.agentConfs.includes(agentConfMember);
  const rootDir = path.join(stagingDir, 'root');
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    if ((options.contents ?? 'credentials') === 'credentials') {
      const r = await extractRootTarMembers(file, ROOT_TAR_ENTRY, rootDir, (p) => p === agentConfMember, signal);
      if (r.checksum !== inspection.checksum) {
        throw new QuorumError('checksum-mismatch', `${inspection.fileName} changed while it was being read for the restore; nothing was kept. Try again with a file nothing else writes to.`);
      }
      return { inspection, stagingDir, agentConf: hasAgentConf ? path.join(rootDir, agentConfMember) : null, archiveDir: null, files: r.files, bytes: r.bytes };
    }
    const archiveRoot = path.join(stagingDir, 'archive');
    const outer = await extractArchive(file, archiveRoot, signal);
    const inner = await extractTarStream(createReadStream(path.join(archiveRoot, ROOT_TAR_ENTRY)), rootDir, signal);
    return {
      inspection,
      stagingDir,
      agentConf: hasAgentConf ? path.join(rootDir, agentConfMember) : null,
      archiveDir: path.join(archiveRoot, CONTENT_DIR),
      files: outer.files + inner.files,
      bytes: outer.bytes + inner.bytes,
    };
  } catch (error) {
    await empty(stagingDir);
    throw error;
  }
}
