import fs from 'node:fs/promises';
import { QuorumError } from '../../shared/errors';

/**
 * One sandbox process per QUORUM_HOME: two would fight over ports, juju-db
 * files and the environment record. The lock is a pid file; a stale one
 * (its process gone) is taken over.
 */

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireLock(file: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return async () => {
        const owner = await fs.readFile(file, 'utf8').catch(() => '');
        if (Number(owner.trim()) === process.pid) await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new QuorumError('busy', `The sandbox in this Quorum home is already running (process ${pid}). Stop it first, or use another QUORUM_HOME.`, {
          details: { pid },
        });
      }
      if (pid === process.pid) {
        throw new QuorumError('busy', 'This process already runs the sandbox in this Quorum home.');
      }
      await fs.rm(file, { force: true });
    }
  }
  throw new QuorumError('busy', 'Could not lock the sandbox directory; another process keeps taking it.');
}
