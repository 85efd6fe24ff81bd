import type { ServiceName } from '../../../shared/remote-commands';
import { renderUpstartJob } from '../../../shared/juju/upstart-job';

/**
 * Juju 1.25's upstart job for a machine agent, as its `service/upstart`
 * renderer writes it (Desc `juju agent for machine-N`, `limit nofile 20000
 * 20000`, the log file protected, `jujud machine` from the machine's tools
 * symlink). The 1.25 restore installs it when the backup came from a
 * machine other than 0 (reference §2.2, server side, step 7): a freshly
 * bootstrapped replacement only has `jujud-machine-0`.
 */

export function machineAgentJob(machineId: string): ServiceName {
  return `jujud-machine-${machineId}` as ServiceName;
}

export function machineAgentJobPath(machineId: string): string {
  return `/etc/init/${machineAgentJob(machineId)}.conf`;
}

export function machineAgentUpstartConf(machineId: string): string {
  if (!/^(0|[1-9][0-9]*)$/.test(machineId)) throw new RangeError(`not a machine id: ${machineId}`);
  const tag = `machine-${machineId}`;
  return renderUpstartJob(`juju agent for ${tag}`, `'/var/lib/juju/tools/${tag}/jujud' machine --data-dir '/var/lib/juju' --machine-id ${machineId} --debug`, tag);
}

/** upstart's and `service`'s words for a job that does not exist. */
export function isUnknownJob(message: string): boolean {
  return /unrecognized service|Unknown job/i.test(message);
}
