import YAML from 'yaml';
import {
  AGENT_VERSION,
  API_PORT,
  STATE_PORT,
  isStateServer,
  machineTag,
  stateServers,
  type EnvironmentRecord,
  type MachineRecord,
  type UnitRecord,
} from '../model';

/**
 * agent.conf as Juju 1.25 writes it (`agent/format-1.18.go`): YAML with the
 * `# format 1.18` header line, keys in the Go struct's order, lower-cased by
 * goyaml, state-server-only keys present only on state servers.
 */

export interface EnvironmentSecrets {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** The state servers' SSH identity (`system-identity`). */
  readonly systemIdentity: string;
}

export const AGENT_CONF_HEADER = '# format 1.18';

/** `host:port` of every state server's API, as the peergrouper publishes them. */
export function apiAddresses(env: EnvironmentRecord): string[] {
  return stateServers(env).map((m) => `${m.address}:${API_PORT}`);
}

/** Mongo addresses: the local member on state servers, every state server elsewhere. */
export function stateAddresses(env: EnvironmentRecord, machine: MachineRecord): string[] {
  if (isStateServer(machine)) return [`localhost:${STATE_PORT}`];
  return stateServers(env).map((m) => `${m.address}:${STATE_PORT}`);
}

function render(doc: Record<string, unknown>): string {
  const values = doc.values as Record<string, string> | undefined;
  // goyaml writes map keys sorted.
  if (values) doc.values = Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const body = new YAML.Document(doc).toString({ indentSeq: false, lineWidth: 0, blockQuote: 'literal' });
  return `${AGENT_CONF_HEADER}\n${body}`;
}

export function machineAgentConf(env: EnvironmentRecord, machine: MachineRecord, secrets: EnvironmentSecrets): string {
  const server = isStateServer(machine);
  const tag = machineTag(machine.id);
  const values: Record<string, string> = {
    AGENT_SERVICE_NAME: `jujud-${tag}`,
    CONTAINER_TYPE: '',
    NAMESPACE: '',
    PROVIDER_TYPE: 'ec2',
    STORAGE_DIR: '/var/lib/juju/storage',
  };
  if (server) {
    values.MONGO_OPLOG_SIZE = '1024';
    values.NUMA_CTL_PREFERENCE = 'false';
  }
  const doc: Record<string, unknown> = {
    tag,
    datadir: '/var/lib/juju',
    logdir: '/var/log/juju',
    metricsspooldir: '/var/lib/juju/metricspool',
    nonce: machine.nonce,
    jobs: [...machine.jobs],
    upgradedToVersion: AGENT_VERSION,
    cacert: secrets.caCertPem,
    stateaddresses: stateAddresses(env, machine),
    statepassword: machine.statePassword,
    environment: `environment-${env.uuid}`,
    apiaddresses: apiAddresses(env),
    apipassword: machine.apiPassword,
    oldpassword: machine.oldPassword,
    values,
  };
  if (server) {
    Object.assign(doc, {
      stateservercert: secrets.serverCertPem,
      stateserverkey: secrets.serverKeyPem,
      caprivatekey: secrets.caKeyPem,
      apiport: API_PORT,
      stateport: STATE_PORT,
      sharedsecret: env.sharedSecret,
      systemidentity: secrets.systemIdentity,
    });
  }
  doc['prefer-ipv6'] = false;
  return render(doc);
}

/** Unit agents talk to the API only: no state addresses or jobs. */
export function unitAgentConf(env: EnvironmentRecord, unit: UnitRecord, caCertPem: string): string {
  return render({
    tag: `unit-${unit.name.replace('/', '-')}`,
    datadir: '/var/lib/juju',
    logdir: '/var/log/juju',
    metricsspooldir: '/var/lib/juju/metricspool',
    nonce: '',
    upgradedToVersion: AGENT_VERSION,
    cacert: caCertPem,
    environment: `environment-${env.uuid}`,
    apiaddresses: apiAddresses(env),
    apipassword: unit.password,
    oldpassword: unit.password,
    values: {},
    'prefer-ipv6': false,
  });
}

/**
 * What Juju's apiaddressupdater does to an agent.conf when the published
 * API host ports change (`agent.Config.SetAPIHostPorts` then `Write`): only
 * `apiaddresses` is replaced, every other key and its order kept. Returns
 * the text unchanged when the addresses are already these.
 */
export function withApiAddresses(text: string, addresses: readonly string[]): string {
  if (!text.startsWith(`${AGENT_CONF_HEADER}\n`)) throw new Error('not an agent.conf in format 1.18');
  const doc = YAML.parseDocument(text.slice(AGENT_CONF_HEADER.length + 1));
  const current: unknown = doc.toJS()?.['apiaddresses'];
  if (Array.isArray(current) && current.length === addresses.length && current.every((a, i) => a === addresses[i])) return text;
  doc.set('apiaddresses', [...addresses]);
  return `${AGENT_CONF_HEADER}\n${doc.toString({ indentSeq: false, lineWidth: 0, blockQuote: 'literal' })}`;
}

/** Parse an agent.conf (tests, consistency checks). */
export function parseAgentConf(text: string): Record<string, unknown> {
  if (!text.startsWith(`${AGENT_CONF_HEADER}\n`)) throw new Error('not an agent.conf in format 1.18');
  return YAML.parse(text) as Record<string, unknown>;
}
