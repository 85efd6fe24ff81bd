import fs from 'node:fs/promises';
import { expect } from 'vitest';
import type { SandboxProcess } from '../sandbox-client';
import { connectSsh } from './ssh-client';

/** Checks shared by the tests that run the sandbox in a child process, whichever way it is spawned. */

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True once `pid` has exited (polled up to `ms`). */
export async function waitForExit(pid: number, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !processAlive(pid);
}

/**
 * Powers machine 3 off and on through the orchestrator API: its SSH port
 * goes away and comes back with the same host key; an unknown machine is
 * `not-found`. Returns what reaches machine 3, to check after a stop.
 */
export async function powerCycleMachine3(sb: SandboxProcess): Promise<{ readonly port: number; readonly key: string }> {
  const d = await sb.describe();
  const key = await fs.readFile(d.ssh.privateKeyPath, 'utf8');
  const m3 = d.machines.find((m) => m.id === '3')!;
  await sb.powerOff('3');
  expect((await sb.describe()).machines.find((m) => m.id === '3')!.powered).toBe(false);
  await expect(connectSsh(m3.ssh.port, key)).rejects.toThrow(/ECONNREFUSED/);
  await sb.powerOn('3');
  const again = await connectSsh(m3.ssh.port, key, { expectFingerprint: m3.hostKeyFingerprint });
  again.end();
  await expect(sb.powerOff('42')).rejects.toMatchObject({ code: 'not-found' });
  return { port: m3.ssh.port, key };
}
