import { readFile } from 'node:fs/promises';
import type { ServiceName } from '../../shared/remote-commands';
import { ConfinedFs } from './hosts/confined-fs';
import { MachineServices } from './hosts/services';
import { SshHost } from './hosts/ssh-host';
import type { JujuDbCluster, JujuDbMember } from './juju-db/api';
import { MachineApiServer, type MachineApiDeps } from './juju-api/machine-api';
import { machinePresenceKey, unitPresenceKey } from '../../shared/model/presence';
import { SSH_USER, STATE_PORT, isStateServer, machineTag, unitTag, type MachineRecord } from './model';
import type { PresenceAgent, PresenceMachine } from './presence/sandbox-presence';

/**
 * One running sandbox machine: its SSH host, its upstart jobs and (on state
 * servers) its juju-db member. Power state is the machine's, not the
 * process's: powered off, the SSH port refuses connections, sessions are cut
 * and the member is stopped, so the rest of the replica set sees it vanish.
 * A powered state server whose machine agent runs also serves Juju's API
 * (juju-api/), reached over SSH `direct-tcpip` to 127.0.0.1:17070.
 */

export interface MachineDeps {
  readonly root: string;
  readonly hostKey: string;
  readonly environmentPublicKey: string;
  readonly unitNames: readonly string[];
  readonly cluster: JujuDbCluster;
  /** The API server's admin password and agent presence (defaults: the sandbox's pki dir, juju-db presence). */
  readonly api?: MachineApiDeps;
}

/** How often the API server is matched to the agent job (stopped or started over SSH). */
const API_RECONCILE_MS = 1_000;

function isAddrInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

export class SandboxMachine implements PresenceMachine {
  readonly fs: ConfinedFs;
  readonly services: MachineServices;
  readonly host: SshHost;
  /** Fault control: bytes left on this machine's disk, when capped (SandboxControl.setDiskFree). */
  diskFree: number | null = null;
  /** The machine agent and its unit agents, with their presence keys. */
  readonly agents: readonly PresenceAgent[];
  readonly #cluster: JujuDbCluster;
  /** Whether juju-db ran when the machine was powered off (it resumes as it was). */
  #jujuDbWasRunning = true;
  readonly #api: MachineApiServer;
  #apiTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly record: MachineRecord,
    deps: MachineDeps,
  ) {
    this.#cluster = deps.cluster;
    this.fs = new ConfinedFs(deps.root);
    const server = isStateServer(record);
    this.agents = [
      { service: `jujud-${machineTag(record.id)}`, key: machinePresenceKey(record.id) },
      ...deps.unitNames.map((u) => ({ service: `jujud-${unitTag(u)}`, key: unitPresenceKey(u) })),
    ];
    this.services = new MachineServices(
      this.agents.map((a) => a.service),
      server
        ? {
            isRunning: () => this.member?.status === 'running',
            start: async () => {
              await this.#cluster.startMember(record.id, this.memberHost);
            },
            stop: () => this.#cluster.stopMember(record.id),
          }
        : undefined,
    );
    this.host = new SshHost({
      machineId: record.id,
      hostKey: deps.hostKey,
      authorizedKey: deps.environmentPublicKey,
      user: SSH_USER,
      commands: { fs: this.fs, services: this.services, diskFree: () => this.diskFree },
      jujuDb: () => (server ? this.member : undefined),
      jujuApi: () => this.#api.port,
    });
    this.#api = new MachineApiServer(
      {
        id: record.id,
        root: deps.root,
        cluster: deps.cluster,
        shouldServe: () => this.powered && this.stateServer && this.isRunning(`jujud-${machineTag(record.id)}`),
      },
      deps.api,
    );
  }

  /** The local port of this machine's Juju API server, while it serves. */
  get apiPort(): number | undefined {
    return this.#api.port;
  }

  /** Starts or stops the API server to match power, jobs and the agent job; resolves when done. */
  reconcileApi(): Promise<void> {
    return this.#api.reconcile();
  }

  get id(): string {
    return this.record.id;
  }
  get stateServer(): boolean {
    return isStateServer(this.record);
  }
  get memberHost(): string {
    return `${this.record.address}:${STATE_PORT}`;
  }
  get member(): JujuDbMember | undefined {
    return this.#cluster.member(this.record.id);
  }
  get powered(): boolean {
    return this.record.powered;
  }
  /** Whether an upstart job runs (what the agent's presence follows). */
  isRunning(service: string): boolean {
    return this.services.isRunning(service);
  }

  /**
   * Boot (sandbox start) or resume (power on): SSH listens on the machine's
   * port (a new one if it was taken meanwhile), juju-db starts on state
   * servers unless it had been stopped before a power-off.
   * @returns true when the SSH port changed and the record must be saved.
   */
  async powerOn(boot: boolean): Promise<boolean> {
    const before = this.record.sshPort;
    try {
      this.record.sshPort = await this.host.listen(before);
    } catch (err) {
      if (!isAddrInUse(err) || before === 0) throw err;
      this.record.sshPort = await this.host.listen(0);
    }
    if (boot) {
      // upstart `start on runlevel [2345]`, except jobs an /etc/init/<job>.override sets to `manual`.
      const manual = await this.#manualJobs();
      this.services.boot();
      for (const job of manual) if (job !== 'juju-db') await this.services.run(job as ServiceName, 'stop');
      this.#jujuDbWasRunning = !manual.has('juju-db');
    }
    if (this.stateServer && this.#jujuDbWasRunning && this.member?.status !== 'running') {
      await this.#cluster.startMember(this.record.id, this.memberHost);
    }
    this.record.powered = true;
    await this.#api.reconcile();
    clearInterval(this.#apiTimer);
    this.#apiTimer = setInterval(() => void this.#api.reconcile(), API_RECONCILE_MS);
    this.#apiTimer.unref();
    return this.record.sshPort !== before;
  }

  /** Jobs whose upstart override file holds the `manual` stanza: upstart does not start them at boot. */
  async #manualJobs(): Promise<Set<string>> {
    const jobs = [...this.agents.map((a) => a.service), ...(this.stateServer ? ['juju-db'] : [])];
    const manual = new Set<string>();
    for (const job of jobs) {
      const text = await this.fs
        .resolve(`/etc/init/${job}.override`)
        .then((file) => readFile(file, 'utf8'))
        .catch(() => '');
      if (/^\s*manual\s*$/m.test(text)) manual.add(job);
    }
    return manual;
  }

  async powerOff(): Promise<void> {
    this.#jujuDbWasRunning = this.stateServer && this.member?.status === 'running';
    clearInterval(this.#apiTimer);
    await this.#api.stop();
    await this.host.close();
    if (this.stateServer && this.member?.status === 'running') await this.#cluster.stopMember(this.record.id);
    this.record.powered = false;
  }

  /** Sandbox shutdown: stop serving without changing the persisted power state. */
  async shutdown(): Promise<void> {
    clearInterval(this.#apiTimer);
    await this.#api.stop();
    await this.host.close();
  }
}
