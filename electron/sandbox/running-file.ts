import fs from 'node:fs/promises';
import { writePrivateFile } from './keys';
import type { SandboxDescription } from './types';

/**
 * `<home>/sandbox/running.json` (0600): how to reach the sandbox while a
 * process runs it — its description (SSH ports, addresses, host-key
 * fingerprints, the key's path, the CA certificate; never a password) and
 * the owner's pid. Written when the sandbox is up and after every change
 * to its machines, removed when it stops, so another process in the same
 * QUORUM_HOME (the `quorum` command while the console runs) can attach to
 * it instead of starting a second one.
 */

export interface RunningRecord {
  readonly pid: number;
  readonly writtenAt: string;
  readonly description: SandboxDescription;
}

export async function writeRunningFile(file: string, description: SandboxDescription, pid = process.pid): Promise<void> {
  const record: RunningRecord = { pid, writtenAt: new Date().toISOString(), description };
  await writePrivateFile(file, `${JSON.stringify(record, null, 1)}\n`);
}

/** The record, or null when there is none (or it is unreadable: a half-written file is retried by the reader). */
export async function readRunningFile(file: string): Promise<RunningRecord | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<RunningRecord>;
    if (typeof parsed.pid !== 'number' || typeof parsed.description !== 'object' || parsed.description === null) return null;
    if (!Array.isArray(parsed.description.machines)) return null;
    return parsed as RunningRecord;
  } catch {
    return null;
  }
}

/** Removes the file if this process wrote it. */
export async function removeRunningFile(file: string, pid = process.pid): Promise<void> {
  const record = await readRunningFile(file);
  if (record === null || record.pid === pid) await fs.rm(file, { force: true });
}
