import fs from 'node:fs/promises';
import path from 'node:path';
import type { SandboxMachine } from '../machine';
import { withApiAddresses } from '../tree/agent-conf';
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
 * sandbox's `.jenv` in step with the published API addresses, and plays
 * Juju's apiaddressupdater: every running agent (machine and unit) rewrites
 * `apiaddresses` in its agent.conf when the published addresses change, and
 * an agent that was down does so once it runs again.
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
  /** The last published API addresses (null until a peergrouper publishes). */
  #apiAddresses: readonly string[] | null = null;
  /** Per machine instance: the addresses each agent's agent.conf was last given (a replaced instance starts afresh). */
  readonly #written = new WeakMap<SandboxMachine, Map<string, string>>();
  #writing: Promise<void> = Promise.resolve();

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
    this.#updateAgentConfs();
    for (const [id, machine] of wanted) {
      if (this.#peergroupers.has(id)) continue;
      const pg = new Peergrouper(
        id,
        {
          envUuid: this.deps.env.uuid,
          memberPort: () => (machine.member?.status === 'running' ? machine.member.port : 0),
          agentRunning: () => machine.powered && machine.isRunning(`jujud-${machineTag(id)}`),
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
    if (addresses.length === 0) return;
    this.#apiAddresses = addresses;
    this.#updateAgentConfs();
    await this.#writeJenv(addresses);
  }

  /** Waits for the agent.conf rewrites started so far (tests). */
  agentConfsWritten(): Promise<void> {
    return this.#writing;
  }

  /** apiaddressupdater: running agents whose agent.conf has other addresses than the published ones rewrite it. */
  #updateAgentConfs(): void {
    const addresses = this.#apiAddresses;
    if (addresses === null || this.#stopped) return;
    const key = addresses.join(',');
    const due: { machine: SandboxMachine; service: string; written: Map<string, string> }[] = [];
    for (const machine of this.deps.machines()) {
      if (!machine.powered) continue;
      let written = this.#written.get(machine);
      if (written === undefined) this.#written.set(machine, (written = new Map()));
      for (const { service } of machine.agents) {
        if (written.get(service) !== key && machine.isRunning(service)) due.push({ machine, service, written });
      }
    }
    if (due.length === 0) return;
    for (const d of due) d.written.set(d.service, key);
    this.#writing = this.#writing.then(async () => {
      for (const { machine, service, written } of due) {
        try {
          await rewriteApiAddresses(machine, service, addresses);
        } catch (err) {
          if (written.get(service) === key) written.delete(service); // try again on the next reconcile
          this.deps.log?.(`${service}: agent.conf apiaddresses not updated: ${(err as Error).message}`);
        }
      }
    });
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
    await this.#writing;
    const pgs = [...this.#peergroupers.values()];
    this.#peergroupers.clear();
    await Promise.all([this.#provisioner?.stop(), ...pgs.map((pg) => pg.worker.stop())]);
  }
}

/** `/var/lib/juju/agents/<tag>/agent.conf` of the agent run by upstart job `jujud-<tag>`, rewritten in place as Juju's atomic write does (same mode). */
async function rewriteApiAddresses(machine: SandboxMachine, service: string, addresses: readonly string[]): Promise<void> {
  const tag = service.replace(/^jujud-/, '');
  const file = machine.fs.hostPath(`/var/lib/juju/agents/${tag}/agent.conf`);
  const text = await fs.readFile(file, 'utf8');
  const next = withApiAddresses(text, addresses);
  if (next === text) return;
  const { mode } = await fs.stat(file);
  const tmp = path.join(path.dirname(file), `.agent.conf.${process.pid}.tmp`);
  await fs.writeFile(tmp, next, { mode: mode & 0o777 });
  await fs.chmod(tmp, mode & 0o777);
  await fs.rename(tmp, file);
}
