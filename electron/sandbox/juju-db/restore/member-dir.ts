/**
 * Where a sandbox machine's juju-db keeps its data. On a state server the
 * mongod's `--dbpath` is `/var/lib/juju/db`; in the sandbox the member's
 * files live beside the machine's tree (`<sandbox>/juju-db/machine-<id>/`,
 * see SandboxLayout), so the commands that touch `/var/lib/juju/db`
 * (recreate-dirs, mongorestore) are pointed there.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SandboxLayout } from '../../layout';

/** juju-db's dbpath on a Juju 1.25 state server (the upstart job's `--dbpath`). */
export const JUJU_DB_PATH = '/var/lib/juju/db';

/**
 * The member directory for a machine whose tree is `root`, when `root` is
 * laid out as SandboxLayout lays it out (`<home>/sandbox/machines/<id>/root`);
 * null otherwise.
 */
export function memberDirForTree(root: string): string | null {
  const abs = path.resolve(root);
  const machineDir = path.dirname(abs);
  const machines = path.dirname(machineDir);
  const sandboxDir = path.dirname(machines);
  if (path.basename(abs) !== 'root' || path.basename(machines) !== 'machines' || path.basename(sandboxDir) !== 'sandbox') return null;
  const layout = new SandboxLayout(path.dirname(sandboxDir));
  const id = path.basename(machineDir);
  if (layout.machineRoot(id) !== abs) return null;
  return path.join(layout.jujuDbDir, `machine-${id}`);
}

/** True when recreating `remoteDir` removes juju-db's dbpath (the path itself or one of its ancestors). */
export function coversDbPath(remoteDir: string): boolean {
  const dir = remoteDir.replace(/\/+$/, '') || '/';
  return dir === JUJU_DB_PATH || JUJU_DB_PATH.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** `rm -rf /var/lib/juju/db` for the member: its data, journals and replica-set config (`local`) are gone. */
export async function wipeMemberDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
}
