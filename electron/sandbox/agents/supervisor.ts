import type { SandboxMachine } from '../machine';
import { API_PORT, isStateServer, machineTag, type EnvironmentRecord } from '../model';
import type { MemberAuth } from '../seed/seed-db';
import type { SandboxAgentOptions } from '../types';
import { JenvWriter } from './jenv';
import { apiAddresses, type HostPortDoc } from './peergroup-plan';
import { Peergrouper } from './peergrouper';
import { Provisioner, type ProvisionerHost } from './provisioner';

/**
 * Runs the sandbox's Juju workers while the sandbox runs: the provisioner
 * (one, in the orchestrator, as the environ provisioner on the state
 * servers) and a peergrouper for every state server whose machine agent
 * runs (powered on, `jujud-machine-N` started). Agents are reconciled every
 * `RECONCILE_MS` and at once after a power change, so a state server powered
 * off loses its peergrouper and gets it back when powered on. Also keeps the
 * sandbox's `.jenv` in step with the published API addresses.
 */

export interface AgentsDeps {
  readonly env: EnvironmentRecord;
  readonly auth: MemberAuth;
  readonly caCertPem: string;
  readonly adminPassword: string;
  readonly jenvFile: string;
  readonly machines: () => Iterable<SandboxMachine>;
  readonly provisionerHost: ProvisionerHost;
  readonly options?: SandboxAgentOptions;
  readonly log?: (line: string) => void;
}

const RECONCILE_MS = 500;

export class SandboxAgents {
  readonly jenv: JenvWriter;
  readonly #peergroupers = new Map<string, { readonly worker: Peergrouper; readonly machine: SandboxMachine }>();
  #provisioner: Provisioner | null = null;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly deps: AgentsDeps) {
    this.jenv = new JenvWriter(deps.jenvFile);
  }

  get enabled(): boolean {
    return this.deps.options?.enabled ?? true;
  }

  async start(): Promise<void> {
    // Until a peergrouper publishes, the state servers whose agents have started.
    const initial = this.deps.env.machines.filter((m) => isStateServer(m) && !m.provisioning).map((m) => `${m.address}:${API_PORT}`);
    await this.#writeJenv(initial);
    if (!this.enabled) return;
    const o = this.deps.options ?? {};
    this.#provisioner = new Provisioner(this.deps.provisionerHost, this.deps.auth, {
      provisionDelayMs: o.provisionDelayMs,
      intervalMs: o.provisionerIntervalMs,
    });
    this.#provisioner.start();
    this.reconcile();
    this.#timer = setInterval(() => this.reconcile(), RECONCILE_MS);
    this.#timer.unref();
  }

  /** Machines with a running peergrouper (for describe and tests). */
  peergrouperMachines(): string[] {
    return [...this.#peergroupers.keys()].sort((a, b) => Number(a) - Number(b));
  }

  /** Starts and stops the per-state-server workers to match the machines. */
  reconcile(): void {
    if (this.#stopped || !this.enabled) return;
    const wanted = new Map<string, SandboxMachine>();
    for (const m of this.deps.machines()) {
      if (m.stateServer && m.powered && m.isRunning(`jujud-${machineTag(m.id)}`)) wanted.set(m.id, m);
    }
    for (const [id, { worker, machine }] of this.#peergroupers) {
      if (wanted.has(id)) continue;
      this.#peergroupers.delete(id);
      void worker.stop();
      // The machine agent stopped: its API server goes with its peergrouper (the machine also
      // reconciles it every second; this makes it prompt).
      void machine.reconcileApi().catch(() => undefined);
    }
    for (const [id, machine] of wanted) {
      if (this.#peergroupers.has(id)) continue;
      const pg = new Peergrouper(
        id,
        {
          envUuid: this.deps.env.uuid,
          memberPort: () => (machine.member?.status === 'running' ? machine.member.port : 0),
          onApiHostPorts: (hostPorts) => void this.#published(hostPorts),
          log: this.deps.log,
        },
        this.deps.auth,
        { intervalMs: this.deps.options?.peergrouperIntervalMs },
      );
      this.#peergroupers.set(id, { worker: pg, machine });
      pg.start();
      // The machine agent runs: so does its API server (juju-api/, started by the machine's reconcile).
      void machine.reconcileApi().catch(() => undefined);
    }
  }

  async #published(hostPorts: readonly (readonly HostPortDoc[])[]): Promise<void> {
    const addresses = apiAddresses(hostPorts);
    if (addresses.length > 0) await this.#writeJenv(addresses);
  }

  async #writeJenv(stateServers: readonly string[]): Promise<void> {
    if (this.#stopped) return;
    try {
      const changed = await this.jenv.write({ env: this.deps.env, caCertPem: this.deps.caCertPem, password: this.deps.adminPassword, stateServers });
      if (changed) this.deps.log?.(`sandbox.jenv: state-servers ${stateServers.join(', ')}`);
    } catch (err) {
      this.deps.log?.(`sandbox.jenv could not be written: ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const pgs = [...this.#peergroupers.values()];
    this.#peergroupers.clear();
    await Promise.all([this.#provisioner?.stop(), ...pgs.map((pg) => pg.worker.stop())]);
  }
}
