import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { JujuDbProfile } from './juju-db/api';
import { DEFAULT_PROFILE, isJujuDbProfile } from './juju-db/profile';
import { writePrivateFile } from './keys';
import type { CaSignature } from './pki';
import {
  AGENT_VERSION,
  BOOTSTRAP_NONCE,
  ENVIRONMENT_NAME,
  SERIES,
  machineAddress,
  type EnvironmentRecord,
  type MachineJob,
  type MachineRecord,
  type ServiceRecord,
} from './model';

/**
 * Creating, loading and saving the sandbox's environment record. Secrets are
 * random per sandbox, generated the way Juju generates them.
 */

/** `utils.RandomPassword()`: 18 random bytes, base64 (24 characters). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64');
}

/** Mongo keyFile content, like `mongo.GenerateSharedSecret` (1024 base64 characters). */
export function randomSharedSecret(): string {
  return randomBytes(768).toString('base64');
}

function instanceId(): string {
  return `i-${randomBytes(4).toString('hex')}`;
}

export function newMachineRecord(id: string, jobs: readonly MachineJob[]): MachineRecord {
  const password = randomPassword();
  return {
    id,
    jobs: [...jobs],
    address: machineAddress(id),
    sshPort: 0,
    instanceId: instanceId(),
    // The provisioner's nonce: `<provisioner tag>:<uuid>`; the bootstrap machine's is fixed.
    nonce: id === '0' ? BOOTSTRAP_NONCE : `machine-0:${randomUUID()}`,
    statePassword: password,
    apiPassword: password,
    oldPassword: randomPassword(),
    powered: true,
    createdAt: new Date().toISOString(),
  };
}

/**
 * A new environment: machines 0..S-1 are voting state servers (the bootstrap
 * machine and those ensure-availability added, all with both jobs), the next
 * W host units (mysql and wordpress, placed on them).
 */
export function newEnvironmentRecord(
  scaleMb: number,
  shape: { stateServers?: number; workloads?: number } = {},
  choices: { mongo?: JujuDbProfile; caSignature?: CaSignature } = {},
): EnvironmentRecord {
  const s = shape.stateServers ?? 3;
  const w = shape.workloads ?? 2;
  if (!Number.isInteger(s) || s < 1 || s > 7 || s % 2 === 0) throw new RangeError('state servers must be 1, 3, 5 or 7');
  if (!Number.isInteger(w) || w < 0 || s + w > 32) throw new RangeError('bad number of workload machines');
  const machines: MachineRecord[] = [];
  const stateJobs: MachineJob[] = ['JobManageEnviron', 'JobHostUnits'];
  for (let i = 0; i < s; i++) machines.push(newMachineRecord(String(i), stateJobs));
  for (let i = s; i < s + w; i++) machines.push(newMachineRecord(String(i), ['JobHostUnits']));
  const hosts = w > 0 ? machines.slice(s) : machines.slice(0, 1);
  return {
    format: 1,
    name: ENVIRONMENT_NAME,
    uuid: randomUUID(),
    series: SERIES,
    agentVersion: AGENT_VERSION,
    createdAt: new Date().toISOString(),
    // Mongo's `admin` user has machine 0's initial password (agent.conf `oldpassword`).
    adminPassword: machines[0]!.oldPassword,
    sharedSecret: randomSharedSecret(),
    machines,
    services: defaultServices(hosts.map((m) => m.id)),
    seeded: false,
    scaleMb,
    mongo: choices.mongo ?? DEFAULT_PROFILE,
    caSignature: choices.caSignature ?? 'sha256',
  };
}

function defaultServices(hosts: readonly string[]): ServiceRecord[] {
  const on = (i: number) => hosts[i % hosts.length]!;
  return [
    { name: 'mysql', charmUrl: 'cs:trusty/mysql-38', units: [{ name: 'mysql/0', machineId: on(0), password: randomPassword() }] },
    {
      name: 'wordpress',
      charmUrl: 'cs:trusty/wordpress-4',
      units: [
        { name: 'wordpress/0', machineId: on(1), password: randomPassword() },
        { name: 'wordpress/1', machineId: on(0), password: randomPassword() },
      ],
    },
  ];
}

export async function loadEnvironment(file: string): Promise<EnvironmentRecord | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const env = JSON.parse(text) as EnvironmentRecord;
  if (env.format !== 1 || !Array.isArray(env.machines)) throw new Error('unrecognised sandbox environment record');
  if (env.mongo !== undefined && !isJujuDbProfile(env.mongo)) throw new Error('unrecognised juju-db profile in the sandbox environment record');
  return env;
}

export async function saveEnvironment(file: string, env: EnvironmentRecord): Promise<void> {
  await writePrivateFile(file, `${JSON.stringify(env, null, 2)}\n`);
}
