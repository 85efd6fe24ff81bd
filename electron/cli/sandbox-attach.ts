import { readFile } from 'node:fs/promises';
import { QuorumError } from '../../shared/errors';
import { SandboxLayout } from '../sandbox/layout';
import { readRunningFile } from '../sandbox/running-file';
import type { SandboxDescription } from '../sandbox/types';
import type { SandboxHandle, SandboxStarter } from '../services/sandbox-launcher';

/**
 * The sandbox for one command: when another process (the console, `npm
 * run sandbox`) already runs it in this QUORUM_HOME — it holds the lock —
 * attach to that one through the `running.json` it publishes; otherwise
 * start it for the command's duration with `start` (and stop it after).
 */

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockOwner(layout: SandboxLayout): Promise<number | null> {
  const text = await readFile(layout.lockFile, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sandbox another process runs: its description, no controls. */
export type AttachedSandbox = SandboxHandle & { readonly ownerPid: number };

function attachedHandle(layout: SandboxLayout, pid: number, first: SandboxDescription): AttachedSandbox {
  let last = first;
  const refuse = (): Promise<never> =>
    Promise.reject(
      new QuorumError('forbidden', `The sandbox is run by another process (${pid}); power and machine controls belong to it. Use the console, or stop it and run the command again.`),
    );
  return {
    ownerPid: pid,
    describe: async () => {
      const record = await readRunningFile(layout.runningFile);
      if (record !== null && record.pid === pid) last = record.description;
      else if (!alive(pid)) throw new QuorumError('sandbox-failed', `The sandbox process ${pid} this command was using has stopped. Run the command again.`);
      return last;
    },
    powerOff: refuse,
    powerOn: refuse,
    setMemberHealthy: refuse,
    rotateHostKey: refuse,
    addMachine: refuse,
    setBlock: refuse,
    // Detaching: the sandbox belongs to the process that started it.
    stop: async () => undefined,
  };
}

/**
 * The running sandbox's description, waiting (bounded) while its owner is
 * still starting it; null when no live process holds the lock.
 */
export async function findRunningSandbox(home: string, waitMs = 180_000, onWait?: (pid: number) => void): Promise<AttachedSandbox | null> {
  const layout = new SandboxLayout(home);
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const pid = await lockOwner(layout);
    if (pid === null) return null;
    const record = await readRunningFile(layout.runningFile);
    if (record !== null && record.pid === pid) return attachedHandle(layout, pid, record.description);
    if (Date.now() > deadline) {
      throw new QuorumError('timeout', `The sandbox in ${home} is locked by process ${pid} but did not become ready within ${Math.round(waitMs / 1000)} s. Check that process (the console or npm run sandbox), then run the command again.`);
    }
    if (!told) onWait?.(pid);
    told = true;
    await sleep(250);
  }
}

export function attachOrStartStarter(start: SandboxStarter, options: { readonly waitMs?: number } = {}): SandboxStarter {
  return async (args) => {
    const running = await findRunningSandbox(args.home, options.waitMs, (pid) => args.onLog(`Waiting for the sandbox that process ${pid} is starting…`));
    if (running !== null) return running;
    try {
      return await start(args);
    } catch (error) {
      // Another process took the lock between our look and our start: use its sandbox.
      if (error instanceof QuorumError && error.code === 'busy') {
        const raced = await findRunningSandbox(args.home, options.waitMs);
        if (raced !== null) return raced;
      }
      throw error;
    }
  };
}
