import { QuorumError } from '../../../shared/errors';
import type { Environment } from '../../../shared/ipc/channels/environments';
import type { SandboxDescription } from '../../sandbox/types';
import type { ConnectionTarget, SshEndpoint, StateServerTarget } from './target';
import { expandHome, hostOf, portOf } from './juju-home';

/**
 * Builds `ConnectionTarget`s: the one shape the connection layer needs,
 * whatever kind of environment it came from.
 */

/** A `.jenv` or manual environment: SSH to each state-server host (port 22 for Juju, the manual port otherwise). */
export function targetForEnvironment(environment: Environment, caCertPem: string | null, homedir: string): ConnectionTarget {
  if (environment.error !== null) throw new QuorumError(environment.error.code, environment.error.message);
  if (environment.keyFile === null) {
    throw new QuorumError(
      'not-found',
      `No SSH key is known for ${environment.name}: Juju keeps it in ssh/juju_id_rsa under JUJU_HOME. Copy the key there, or add the environment by hand with its key file.`,
    );
  }
  const keyFile = expandHome(environment.keyFile, homedir);
  // Juju's state-server addresses carry the API port (17070): SSH uses its own.
  // For environments added by hand an explicit `host:port` is the SSH port.
  const sshPortFor = (address: string): number =>
    environment.kind === 'manual' ? (portOf(address) ?? environment.sshPort) : environment.sshPort;
  const stateServers: StateServerTarget[] = environment.stateServers.map((address) => ({
    address: hostOf(address),
    ssh: { host: hostOf(address), port: sshPortFor(address) },
  }));
  const byHost = new Map(stateServers.map((s) => [s.address, s.ssh]));
  return {
    environmentId: environment.id,
    name: environment.name,
    kind: environment.kind,
    sshUser: environment.sshUser,
    keyFile,
    stateServers,
    sshEndpointFor: (address: string): SshEndpoint => byHost.get(hostOf(address)) ?? { host: hostOf(address), port: environment.sshPort },
    caCertPem,
    vouchedHostKeys: new Map(),
  };
}

/**
 * The sandbox: its machines' 10.23.0.x addresses map to SSH servers on
 * 127.0.0.1, and it vouches for their host keys. Machines added after this
 * description are unknown here: resolve the target again after adding one.
 */
export function targetForSandbox(description: SandboxDescription): ConnectionTarget {
  const endpoints = new Map(description.machines.map((m) => [m.address, { host: m.ssh.host, port: m.ssh.port }]));
  const stateServers = description.machines
    .filter((m) => m.stateServer)
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((m) => ({ address: m.address, ssh: { host: m.ssh.host, port: m.ssh.port } }));
  return {
    environmentId: 'sandbox',
    name: description.environment.name,
    kind: 'sandbox',
    sshUser: description.ssh.user,
    keyFile: description.ssh.privateKeyPath,
    stateServers,
    sshEndpointFor: (address: string): SshEndpoint => {
      const endpoint = endpoints.get(hostOf(address));
      if (endpoint === undefined) {
        throw new QuorumError(
          'host-unreachable',
          `The sandbox has no machine at ${hostOf(address)} (it may have been added since). Refresh and try again.`,
        );
      }
      return endpoint;
    },
    caCertPem: description.environment.caCertPem,
    vouchedHostKeys: new Map(description.machines.map((m) => [m.address, m.hostKeyFingerprint])),
  };
}
