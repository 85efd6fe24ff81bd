import YAML from 'yaml';
import { QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';
import type { RemoteCommand } from '../../../shared/remote-commands';

/**
 * A machine agent's `agent.conf` (Juju 1.18 format, used through 1.25), read
 * over SSH. Parsing splits it in two on purpose: `AgentConfInfo` holds what
 * may be shown (tag, addresses, ports, jobs, CA certificate), and
 * `AgentCredentials` holds every secret. Secrets are registered with the
 * SecretRegistry the moment they are parsed, and the credentials object is
 * never returned by anything that reaches the renderer.
 */

export interface AgentConfInfo {
  /** Where it was read: `/var/lib/juju/agents/machine-0/agent.conf`. */
  readonly path: string;
  readonly tag: string;
  /** `0` for `machine-0`. */
  readonly machineId: string;
  readonly datadir: string;
  readonly logdir: string;
  readonly nonce: string;
  readonly jobs: readonly string[];
  readonly upgradedToVersion: string | null;
  /** The environment CA certificate (public). */
  readonly cacert: string;
  readonly stateaddresses: readonly string[];
  readonly apiaddresses: readonly string[];
  /** Environment UUID from `environment: environment-<uuid>`. */
  readonly environmentUuid: string | null;
  readonly stateport: number | null;
  readonly apiport: number | null;
  readonly preferIpv6: boolean;
  /** `values` (PROVIDER_TYPE, NAMESPACE, MONGO_OPLOG_SIZE …); none of them is secret. */
  readonly values: Readonly<Record<string, string>>;
  /** The state server's public certificate (`stateservercert`), on state servers. */
  readonly stateservercert: string | null;
  /** True when the server-only keys are present (JobManageEnviron machines). */
  readonly isStateServer: boolean;
}

/** Every secret in agent.conf. Handed only to main-process code that needs it (Mongo auth, backup, restore). */
export interface AgentCredentials {
  readonly tag: string;
  readonly statepassword: string;
  readonly apipassword: string;
  /** On the bootstrap machine also the Mongo `admin` password (restore uses it). */
  readonly oldpassword: string;
  readonly stateserverkey: string | null;
  readonly caprivatekey: string | null;
  readonly sharedsecret: string | null;
  readonly systemidentity: string | null;
}

export interface AgentConf {
  readonly info: AgentConfInfo;
  readonly credentials: AgentCredentials;
}

/** The glob Quorum lists to find the machine agent's directory. */
export const AGENT_CONF_GLOB = '/var/lib/juju/agents/machine-*/agent.conf';

export function agentConfUnreadable(host: string, file: string, what: string, cause?: unknown): QuorumError {
  return new QuorumError(
    'agent-conf-unreadable',
    `Quorum could not read ${file} on ${host}: ${what}. Check that Juju's machine agent is installed there and that the SSH user may run sudo without a password.`,
    { details: { host, file }, cause },
  );
}

function str(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function strList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(str).filter((v): v is string => v !== null) : [];
}

function port(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
}

/**
 * Parses agent.conf text. `host` and `file` only name it in errors. The
 * secrets are registered with `secrets` before this returns (even when
 * parsing fails further on), so no later message can carry them.
 */
export function parseAgentConf(text: string, host: string, file: string, secrets: SecretRegistry): AgentConf {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (error) {
    // YAML errors quote the offending line, which may hold a password: keep only the position.
    const pos = (error as { linePos?: [{ line: number }] }).linePos?.[0]?.line;
    throw agentConfUnreadable(host, file, `it is not valid YAML${pos ? ` (line ${pos})` : ''}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw agentConfUnreadable(host, file, 'it is not a YAML mapping');
  const d = doc as Record<string, unknown>;

  const credentials: AgentCredentials = {
    tag: str(d.tag) ?? '',
    statepassword: str(d.statepassword) ?? '',
    apipassword: str(d.apipassword) ?? '',
    oldpassword: str(d.oldpassword) ?? '',
    stateserverkey: str(d.stateserverkey),
    caprivatekey: str(d.caprivatekey),
    sharedsecret: str(d.sharedsecret),
    systemidentity: str(d.systemidentity),
  };
  for (const key of ['statepassword', 'apipassword', 'oldpassword', 'stateserverkey', 'caprivatekey', 'sharedsecret', 'systemidentity'] as const) {
    secrets.add(credentials[key]);
  }

  const tag = credentials.tag;
  const m = /^machine-(\d+)$/.exec(tag);
  if (!m) throw agentConfUnreadable(host, file, tag ? `its tag ${JSON.stringify(tag)} is not a machine tag` : 'it has no tag');
  const cacert = str(d.cacert);
  if (!cacert || !cacert.includes('BEGIN CERTIFICATE')) throw agentConfUnreadable(host, file, 'it has no CA certificate (cacert)');
  if (!credentials.statepassword) throw agentConfUnreadable(host, file, 'it has no statepassword');

  const stateaddresses = strList(d.stateaddresses);
  const values: Record<string, string> = {};
  if (d.values && typeof d.values === 'object' && !Array.isArray(d.values)) {
    for (const [k, v] of Object.entries(d.values as Record<string, unknown>)) values[k] = str(v) ?? '';
  }
  const env = str(d.environment);
  const info: AgentConfInfo = {
    path: file,
    tag,
    machineId: m[1]!,
    datadir: str(d.datadir) ?? '/var/lib/juju',
    logdir: str(d.logdir) ?? '/var/log/juju',
    nonce: str(d.nonce) ?? '',
    jobs: strList(d.jobs),
    upgradedToVersion: str(d.upgradedToVersion),
    cacert,
    stateaddresses,
    apiaddresses: strList(d.apiaddresses),
    environmentUuid: env?.startsWith('environment-') ? env.slice('environment-'.length) : env,
    // Juju derives the state port from the first state address when the key is absent.
    stateport: port(d.stateport) ?? port(stateaddresses[0]?.split(':').pop()),
    apiport: port(d.apiport),
    preferIpv6: d['prefer-ipv6'] === true,
    values,
    stateservercert: str(d.stateservercert),
    isStateServer: credentials.stateserverkey !== null || strList(d.jobs).includes('JobManageEnviron'),
  };
  return { info, credentials };
}

/** Picks the machine agent's file from a glob listing (one path per line). */
export function pickAgentConfPath(listing: string, host: string): string {
  const paths = listing
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\/var\/lib\/juju\/agents\/machine-\d+\/agent\.conf$/.test(l));
  if (paths.length === 0) throw agentConfUnreadable(host, AGENT_CONF_GLOB, 'no machine agent configuration was found');
  if (paths.length > 1) {
    throw agentConfUnreadable(host, AGENT_CONF_GLOB, `more than one machine agent is configured (${paths.join(', ')})`);
  }
  return paths[0]!;
}

/** Anything that can run a remote command and buffer its output (an SshClient, a session). */
export interface CommandRunner {
  run(command: RemoteCommand, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<Buffer>;
}

/**
 * Reads the machine agent's agent.conf over SSH: glob first (the machine id
 * is not known before), then read-file. A lost connection stays what it is
 * (`host-unreachable`); anything else becomes `agent-conf-unreadable`.
 */
export async function readAgentConf(runner: CommandRunner, host: string, secrets: SecretRegistry, signal?: AbortSignal): Promise<AgentConf> {
  const step = async (file: string, command: RemoteCommand): Promise<string> => {
    try {
      return (await runner.run(command, { maxBytes: 1024 * 1024, signal })).toString('utf8');
    } catch (error) {
      if (error instanceof QuorumError && error.code === 'remote-command-failed') {
        const stderr = typeof error.details?.stderr === 'string' ? `: ${error.details.stderr}` : '';
        throw agentConfUnreadable(host, file, `${command.kind} failed${stderr}`, error);
      }
      throw error;
    }
  };
  const file = pickAgentConfPath(await step(AGENT_CONF_GLOB, { kind: 'glob', pattern: AGENT_CONF_GLOB }), host);
  return parseAgentConf(await step(file, { kind: 'read-file', path: file }), host, file, secrets);
}
