import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { writePrivateFile } from './keys';
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

export function newMachineRecord(env: Pick<EnvironmentRecord, 'machines'>, id: string, jobs: readonly MachineJob[]): MachineRecord {
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

/** The default environment: 0-2 voting state servers, 3-4 hosting mysql and wordpress. */
export function newEnvironmentRecord(scaleMb: number): EnvironmentRecord {
  const env: EnvironmentRecord = {
    format: 1,
    name: ENVIRONMENT_NAME,
    uuid: randomUUID(),
    series: SERIES,
    agentVersion: AGENT_VERSION,
    createdAt: new Date().toISOString(),
    adminPassword: '',
    sharedSecret: randomSharedSecret(),
    machines: [],
    services: defaultServices(),
    seeded: false,
    scaleMb,
  };
  const stateJobs: MachineJob[] = ['JobManageEnviron', 'JobHostUnits'];
  for (const id of ['0', '1', '2']) env.machines.push(newMachineRecord(env, id, stateJobs));
  for (const id of ['3', '4']) env.machines.push(newMachineRecord(env, id, ['JobHostUnits']));
  // Mongo's `admin` user has machine 0's initial password (agent.conf `oldpassword`).
  return { ...env, adminPassword: env.machines[0]!.oldPassword };
}

function defaultServices(): ServiceRecord[] {
  return [
    { name: 'mysql', charmUrl: 'cs:trusty/mysql-38', units: [{ name: 'mysql/0', machineId: '3', password: randomPassword() }] },
    {
      name: 'wordpress',
      charmUrl: 'cs:trusty/wordpress-4',
      units: [
        { name: 'wordpress/0', machineId: '4', password: randomPassword() },
        { name: 'wordpress/1', machineId: '3', password: randomPassword() },
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
  return env;
}

export async function saveEnvironment(file: string, env: EnvironmentRecord): Promise<void> {
  await writePrivateFile(file, `${JSON.stringify(env, null, 2)}\n`);
}
