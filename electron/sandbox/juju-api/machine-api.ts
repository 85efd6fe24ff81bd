import fs from 'node:fs/promises';
import path from 'node:path';
import type { JujuDbCluster } from '../juju-db/api';
import { loadAdminUserPassword } from '../secrets';
import { parseAgentConf } from '../tree/agent-conf';
import type { AgentAliveFn } from './context';
import { startJujuApiServer, type JujuApiServer } from './server';

/**
 * The API server as a state server's machine agent runs it: configured from
 * the machine's own agent.conf (environment tag, `stateservercert`/`key`,
 * `statepassword`, `cacert`), started when the machine is a powered state
 * server whose `jujud-machine-N` job runs, stopped (connections dropped)
 * otherwise. `SandboxMachine` calls `reconcile` on power changes and every
 * second, so an agent stopped over SSH takes its API server down too.
 */

export interface MachineApiDeps {
  /** `user-admin`'s password; default: the sandbox's `pki/admin-password`, found from the machine's root. */
  readonly adminPassword?: () => Promise<string>;
  /** Agent presence; default: read from juju-db's presence collections. */
  readonly agentAlive?: AgentAliveFn;
}

export interface MachineApiTarget {
  readonly id: string;
  /** The machine's filesystem root (`<sandbox>/machines/<id>/root`). */
  readonly root: string;
  readonly cluster: JujuDbCluster;
  /** Powered on, JobManageEnviron, and its machine agent running. */
  shouldServe(): boolean;
}

/** `<sandbox>/machines/<id>/root` → `<sandbox>/pki` (the layout `SandboxLayout` defines). */
export function pkiDirOfMachineRoot(root: string): string {
  return path.join(path.resolve(root), '..', '..', '..', 'pki');
}

function text(conf: Record<string, unknown>, key: string): string {
  const v = conf[key];
  if (typeof v !== 'string' || v === '') throw new Error(`agent.conf has no ${key}`);
  return v;
}

export class MachineApiServer {
  #server: JujuApiServer | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: MachineApiTarget,
    private readonly deps: MachineApiDeps = {},
  ) {}

  /** The local port `direct-tcpip` to 17070 reaches, while serving. */
  get port(): number | undefined {
    return this.#server?.port;
  }

  /** Starts or stops the server to match the machine; serialized, never throws (a failed start is retried on the next call). */
  reconcile(): Promise<void> {
    const run = async () => {
      const want = this.target.shouldServe();
      if (want && this.#server === undefined) this.#server = await this.#start();
      else if (!want && this.#server !== undefined) await this.#stop();
    };
    const next = this.#queue.then(run, run).catch(() => undefined);
    this.#queue = next;
    return next;
  }

  /** Stops the server whatever the machine's state (power off, sandbox shutdown). */
  stop(): Promise<void> {
    const next = this.#queue.then(() => this.#stop()).catch(() => undefined);
    this.#queue = next;
    return next;
  }

  async #stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.close();
  }

  async #start(): Promise<JujuApiServer> {
    const { id, root, cluster } = this.target;
    const tag = `machine-${id}`;
    const conf = parseAgentConf(await fs.readFile(path.join(root, 'var/lib/juju/agents', tag, 'agent.conf'), 'utf8'));
    const envUuid = text(conf, 'environment').replace(/^environment-/, '');
    return startJujuApiServer({
      machineId: id,
      envUuid,
      tls: { certPem: text(conf, 'stateservercert'), keyPem: text(conf, 'stateserverkey') },
      members: () =>
        cluster
          .members()
          .filter((m) => m.status === 'running')
          .map((m) => ({ machineId: m.machineId, port: m.port })),
      stateAuth: { username: tag, password: text(conf, 'statepassword'), caPem: text(conf, 'cacert') },
      adminPassword: this.deps.adminPassword ?? (() => loadAdminUserPassword(pkiDirOfMachineRoot(root))),
      agentAlive: this.deps.agentAlive,
    });
  }
}
