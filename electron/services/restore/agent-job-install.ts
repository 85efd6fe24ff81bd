import { QuorumError } from '../../../shared/errors';
import { parseServiceRunning, type RemoteCommand, type ServiceName } from '../../../shared/remote-commands';
import { upstartJobOf } from '../../../shared/juju/upstart-job';
import { isUnknownJob, machineAgentJob, machineAgentJobPath, machineAgentUpstartConf } from './agent-job';

/**
 * The backup machine's agent job on the replacement (Juju 1.25 server-side
 * restore, step 7): probed before the point of no return, installed from
 * Juju's upstart template after the files are placed when the host lacks it.
 * Juju installs it only for a backup from a machine other than 0; Quorum
 * installs it whenever it is missing, so a host bootstrapped as any machine
 * number works. Only upstart is written: a systemd host without the job is
 * refused before anything is wiped.
 */

/** The restore's remote runner: logs `$ what`, runs `cmd`, resolves with stdout, rejects on a non-zero exit. */
export type RunRemote = (what: string, cmd: RemoteCommand, opts?: { stdin?: string }) => Promise<string>;

export interface AgentJobProbe {
  readonly job: ServiceName;
  readonly running: boolean;
  /** The host has no such job: install it after the files are placed. */
  readonly missing: boolean;
  /**
   * Other machine agents running on the host (a host bootstrapped as
   * another machine runs its own `jujud-machine-<M>`): stopped before the
   * wipe, as Juju's own agent exits once its restore is done. Left running,
   * such an agent acts on the restored juju-db as the machine it was (its
   * peergrouper adds the backup's old state servers back to the replica set).
   */
  readonly others: readonly ServiceName[];
}

/** Where upstart keeps the machine agents' jobs. */
export const UPSTART_AGENT_JOBS = '/etc/init/jujud-machine-*.conf';

/** Where a Juju 1.25 bootstrap on upstart puts juju-db's job; its presence says the host's init reads /etc/init. */
export const UPSTART_JUJU_DB_JOB = '/etc/init/juju-db.conf';

/** systemd's words (`service` hands over to systemctl) for a unit that does not exist. */
export function isMissingSystemdUnit(message: string): boolean {
  return /could not be found|Loaded: not-found|Unit [^ ]+\.service not found/i.test(message);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function noUpstart(job: string, address: string, why: string): QuorumError {
  return new QuorumError(
    'invalid-input',
    `${address} has no ${job} job and ${why}: Quorum installs the machine agent's job only as an upstart job (Ubuntu 14.04 trusty), as Juju 1.25 does there. ` +
      `Install a ${job} service on ${address} by hand (Juju's systemd unit for machine agents), or bootstrap the replacement on trusty, then run the restore again. Nothing on ${address} was wiped.`,
    { details: { address, job } },
  );
}

/**
 * `service jujud-machine-<N> status` on the replacement, before the point of
 * no return: running (stop it first), present, or missing on an upstart host
 * (install it later). A missing job on a host that is not upstart is refused
 * here, while nothing has been wiped. Other status failures count as present
 * and stopped (systemd exits 3 for a stopped unit), as before.
 */
export async function probeAgentJob(run: RunRemote, machineId: string, address: string, log: (line: string) => void): Promise<AgentJobProbe> {
  const job = machineAgentJob(machineId);
  let status: string;
  try {
    status = await run(`service ${job} status`, { kind: 'service', service: job, action: 'status' });
  } catch (error) {
    if (error instanceof QuorumError && error.code === 'cancelled') throw error;
    const why = message(error);
    if (isMissingSystemdUnit(why)) throw noUpstart(job, address, 'systemd runs its services');
    if (!isUnknownJob(why)) return { job, running: false, missing: false, others: await otherRunningAgents(run, job, address, log) };
    const upstart = (await run(`ls ${UPSTART_JUJU_DB_JOB}`, { kind: 'glob', pattern: UPSTART_JUJU_DB_JOB })).trim() !== '';
    if (!upstart) throw noUpstart(job, address, `juju-db is no upstart job there (${UPSTART_JUJU_DB_JOB} is missing)`);
    log(`${job} is not installed on ${address} (bootstrapped as another machine): its upstart job is installed once the files are placed`);
    return { job, running: false, missing: true, others: await otherRunningAgents(run, job, address, log) };
  }
  return { job, running: parseServiceRunning(status), missing: false, others: await otherRunningAgents(run, job, address, log) };
}

/** The upstart machine-agent jobs on the host other than `job` whose status says running (a status that fails counts as not running). */
async function otherRunningAgents(run: RunRemote, job: ServiceName, address: string, log: (line: string) => void): Promise<ServiceName[]> {
  const listed = await run(`ls ${UPSTART_AGENT_JOBS}`, { kind: 'glob', pattern: UPSTART_AGENT_JOBS });
  const jobs = listed
    .split('\n')
    .map((path) => upstartJobOf(path.trim()))
    .filter((name): name is ServiceName => name !== null && name.startsWith('jujud-machine-') && name !== job);
  const running: ServiceName[] = [];
  for (const other of jobs) {
    let status: string;
    try {
      status = await run(`service ${other} status`, { kind: 'service', service: other, action: 'status' });
    } catch (error) {
      if (error instanceof QuorumError && error.code === 'cancelled') throw error;
      continue;
    }
    if (!parseServiceRunning(status)) continue;
    log(`${other} (this host's own machine agent) runs on ${address}: it is stopped before the wipe, as Juju's agent exits once its restore is done`);
    running.push(other);
  }
  return running;
}

/** Writes Juju 1.25's upstart job for machine `machineId` (0644); upstart picks it up, stopped until started. */
export async function installAgentJob(run: RunRemote, machineId: string, log: (line: string) => void): Promise<void> {
  const path = machineAgentJobPath(machineId);
  await run(`write ${path}`, { kind: 'write-file', path, mode: 0o644 }, { stdin: machineAgentUpstartConf(machineId) });
  log(`installed upstart job ${machineAgentJob(machineId)}: this host had none (the backup is from machine ${machineId})`);
}
