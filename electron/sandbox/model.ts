/**
 * The sandbox environment's persistent model: what was decided when it was
 * created (identities, secrets, ports) and must stay the same across restarts
 * so that host keys, agent.conf files and juju-db data keep agreeing.
 *
 * Kept in `<QUORUM_HOME>/sandbox/environment.json` (mode 0600: it holds the
 * same secrets as agent.conf).
 */

import type { JujuDbProfile } from './juju-db/api';
import type { CaSignature } from './pki';

export const ENVIRONMENT_NAME = 'sandbox';
export const SERIES = 'trusty';
export const AGENT_VERSION = '1.25.6';
export const TOOLS_VERSION = `${AGENT_VERSION}-${SERIES}-amd64`;
export const STATE_PORT = 37017;
export const API_PORT = 17070;
export const SSH_USER = 'ubuntu';
export const REPLICA_SET_NAME = 'juju';
/** The provisioner nonce Juju gives the bootstrap machine. */
export const BOOTSTRAP_NONCE = 'user-admin:bootstrap';

/** Juju 1.25 machine jobs as agent.conf spells them. */
export type MachineJob = 'JobHostUnits' | 'JobManageEnviron';

/** The integers Juju stores in `juju.machines.jobs` (state/machine.go). */
export { JOB_CODES } from '../../shared/model/juju-documents';

export interface MachineRecord {
  readonly id: string;
  readonly jobs: readonly MachineJob[];
  /** Cloud-local address Juju records for the machine (and its replica-set member host). */
  readonly address: string;
  /** SSH port on 127.0.0.1; re-chosen only if taken at start. */
  sshPort: number;
  readonly instanceId: string;
  readonly nonce: string;
  readonly statePassword: string;
  readonly apiPassword: string;
  /** Initial password; on the bootstrap machine also the Mongo `admin` password. */
  readonly oldPassword: string;
  /** Powered-off machines stay off across sandbox restarts, like a VM left off. */
  powered: boolean;
  /**
   * Set while the provisioner is starting the machine (instance up, agent
   * not yet started): its jujud jobs stay stopped, also across a restart,
   * until the provisioner finishes the start.
   */
  provisioning?: boolean;
  readonly createdAt: string;
}

export interface UnitRecord {
  /** e.g. `mysql/0`. */
  readonly name: string;
  readonly machineId: string;
  readonly password: string;
}

export interface ServiceRecord {
  readonly name: string;
  readonly charmUrl: string;
  readonly units: readonly UnitRecord[];
}

export interface EnvironmentRecord {
  readonly format: 1;
  readonly name: string;
  readonly uuid: string;
  readonly series: string;
  readonly agentVersion: string;
  readonly createdAt: string;
  /** Mongo `admin` password: machine 0's `oldpassword`. */
  readonly adminPassword: string;
  /** Mongo keyFile content (`shared-secret`, agent.conf `sharedsecret`). */
  readonly sharedSecret: string;
  machines: MachineRecord[];
  readonly services: readonly ServiceRecord[];
  /** Set once the replica set was initiated and the Juju documents seeded. */
  seeded: boolean;
  /** Target size of the seed data in MB (0: the small default environment). */
  scaleMb: number;
  /** juju-db's profile, chosen at creation. Records made before profiles existed hold 6.0 data. */
  readonly mongo?: JujuDbProfile;
  /** Digest the environment CA was signed with (absent: sha256). */
  readonly caSignature?: CaSignature;
}

/** The profile a sandbox's juju-db runs (records older than the option were created on 6.0). */
export function profileOf(env: Pick<EnvironmentRecord, 'mongo'>): JujuDbProfile {
  return env.mongo ?? '6.0';
}

export function isStateServer(machine: Pick<MachineRecord, 'jobs'>): boolean {
  return machine.jobs.includes('JobManageEnviron');
}

/** Machine N's cloud-local address, `10.23.0.(10+N)`. */
export function machineAddress(id: string): string {
  const n = Number(id);
  if (!Number.isInteger(n) || n < 0 || n > 244) throw new RangeError(`machine id out of range: ${id}`);
  return `10.23.0.${10 + n}`;
}

export function machineTag(id: string): string {
  return `machine-${id}`;
}

/** `mysql/0` → `unit-mysql-0` (Juju's unit tag). */
export function unitTag(unitName: string): string {
  return `unit-${unitName.replace('/', '-')}`;
}

export function stateServers(env: EnvironmentRecord): MachineRecord[] {
  return env.machines.filter(isStateServer);
}
