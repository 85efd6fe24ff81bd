import { QuorumError } from '../../shared/errors';
import { jenvFile } from './agents/jenv';
import { destroyMachine, launchMachine, startAgents, stopAgents as stopAgentsOf, type MachineContext } from './agents/machine-lifecycle';
import type { ProvisionerHost } from './agents/provisioner';
import { SandboxAgents } from './agents/supervisor';
import { newMachineRecord, saveEnvironment } from './environment';
import type { JujuDbCluster } from './juju-db/api';
import { createHostKey, fingerprintSha256 } from './keys';
import type { SandboxLayout } from './layout';
import type { SandboxMachine } from './machine';
import { AGENT_VERSION, SSH_USER, machineTag, profileOf, type EnvironmentRecord, type MachineJob, type MachineRecord } from './model';
import { profileVersion } from './juju-db/profile';
import type { EnvironmentKeys } from './secrets';
import { registerMachine } from './seed/register';
import type { SandboxPresence } from './presence/sandbox-presence';
import type { MemberAuth, MemberEndpoint } from './seed/seed-db';
import type { AddMachineOptions, SandboxAgentOptions, SandboxBlockKind, SandboxControl, SandboxDescription, SandboxMachineDescription, SandboxStartInfo } from './types';
import { setSandboxBlock } from './juju-api/control';
import { removeRunningFile, writeRunningFile } from './running-file';

/**
 * A started sandbox: describes itself and applies fault injection (power,
 * member health, host keys) and growth (new machines), one operation at a
 * time, persisting what must survive a restart.
 */

export interface Sandbox extends SandboxControl {
  describe(): SandboxDescription;
  setDiskFree(id: string, bytes: number | null): Promise<void>;
  readonly startInfo: SandboxStartInfo;
  readonly layout: SandboxLayout;
}

export function sandboxFailed(what: string, cause: unknown): QuorumError {
  if (cause instanceof QuorumError) return cause;
  return new QuorumError('sandbox-failed', `The sandbox could not ${what}. Try again; if it keeps failing, reset it (npm run sandbox -- --reset).`, {
    cause,
  });
}

export class RunningSandbox implements Sandbox {
  readonly #health = new Map<string, boolean>();
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #stopping: Promise<void> | undefined;
  /** The provisioner and the state servers' peergroupers (started by `startAgents`). */
  readonly agents: SandboxAgents;

  constructor(
    readonly layout: SandboxLayout,
    private readonly env: EnvironmentRecord,
    private readonly keys: EnvironmentKeys,
    private readonly cluster: JujuDbCluster,
    private readonly machines: Map<string, SandboxMachine>,
    private readonly auth: MemberAuth,
    readonly startInfo: SandboxStartInfo,
    private readonly release: () => Promise<void>,
    private readonly presence: SandboxPresence,
    agentOptions: SandboxAgentOptions = {},
    log: (line: string) => void = () => undefined,
  ) {
    this.agents = new SandboxAgents({
      env,
      auth,
      caCertPem: keys.caCertPem,
      adminPassword: keys.adminUserPassword,
      jenvFile: jenvFile(layout.dir, env.name),
      machines: () => this.machines.values(),
      provisionerHost: this.#provisionerHost(log),
      options: agentOptions,
      log,
    });
  }

  /** Starts the provisioner and peergroupers, writes the `.jenv`, and publishes `running.json` for other processes. */
  async startAgents(): Promise<void> {
    await this.agents.start();
    this.#published = true;
    await this.#publish();
  }

  /** True once `running.json` describes this sandbox (until it stops). */
  #published = false;

  /** Rewrites `running.json` so a process attached to this sandbox sees its machines as they are now. */
  async #publish(): Promise<void> {
    if (!this.#published || this.#stopped) return;
    await writeRunningFile(this.layout.runningFile, this.describe()).catch(() => undefined);
  }

  get #ctx(): MachineContext {
    return { layout: this.layout, env: this.env, keys: this.keys, cluster: this.cluster, machines: this.machines };
  }

  /** What the provisioner may do to the sandbox: every change goes through the same queue as fault operations. */
  #provisionerHost(log: (line: string) => void): ProvisionerHost {
    return {
      env: this.env,
      log,
      machineIds: () => new Set(this.machines.keys()),
      pendingIds: () => new Set(this.env.machines.filter((m) => m.provisioning).map((m) => m.id)),
      record: (id) => this.machines.get(id)?.record,
      agentRunningIds: () => new Set([...this.machines.values()].filter((m) => m.powered && m.isRunning(`jujud-${machineTag(m.id)}`)).map((m) => m.id)),
      members: (): MemberEndpoint[] =>
        this.cluster
          .members()
          .filter((m) => m.status === 'running')
          .map((m) => ({ machineId: m.machineId, port: m.port })),
      startInstance: (id, jobs) => this.#serial(async () => (await this.#launch(id, jobs, { agentRunning: false })).record),
      startAgent: (id) =>
        this.#serial(async () => {
          const m = this.#machine(id);
          m.record.provisioning = undefined;
          if (m.powered) await startAgents(m);
          await m.reconcileApi();
          this.presence.reconcile();
          this.agents.reconcile();
          await this.#save();
        }),
      stopInstance: (id) =>
        this.#serial(async () => {
          await destroyMachine(this.#ctx, id, () => this.presence.reconcile());
          this.#health.delete(id);
          this.agents.reconcile();
          await this.#save();
        }),
    };
  }

  describe(): SandboxDescription {
    return {
      environment: {
        name: this.env.name,
        uuid: this.env.uuid,
        series: this.env.series,
        agentVersion: AGENT_VERSION,
        caCertPem: this.keys.caCertPem,
        caSignature: this.env.caSignature ?? 'sha256',
      },
      jujuDb: { profile: profileOf(this.env), version: profileVersion(profileOf(this.env)) },
      ssh: { user: SSH_USER, privateKeyPath: this.layout.privateKeyFile, publicKey: this.keys.environmentPublicKey },
      dir: this.layout.dir,
      jenvPath: this.agents.jenv.file,
      machines: [...this.machines.values()].map((m) => this.#describeMachine(m)),
    };
  }

  #describeMachine(m: SandboxMachine): SandboxMachineDescription {
    return {
      id: m.id,
      address: m.record.address,
      ssh: { host: '127.0.0.1', port: m.record.sshPort },
      jobs: [...m.record.jobs],
      stateServer: m.stateServer,
      powered: m.powered,
      hostKeyFingerprint: m.host.fingerprint,
      instanceId: m.record.instanceId,
      jujuDb: m.stateServer ? (m.member?.status ?? 'stopped') : null,
      memberHealthy: this.#health.get(m.id) ?? true,
    };
  }

  #machine(id: string): SandboxMachine {
    const m = this.machines.get(String(id));
    if (!m) throw new QuorumError('not-found', `The sandbox has no machine ${id}.`, { details: { machine: String(id) } });
    return m;
  }

  /** Fault operations run one at a time, in order, so power cycles cannot interleave. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#stopped) return Promise.reject(new QuorumError('sandbox-failed', 'The sandbox is stopped; start it again first.'));
    const guarded = () =>
      fn().then(
        async (value) => {
          await this.#publish();
          return value;
        },
        async (err: unknown) => {
          await this.#publish();
          return Promise.reject(sandboxFailed('complete that operation', err));
        },
      );
    const run = this.#queue.then(guarded, guarded);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #save(): Promise<void> {
    await saveEnvironment(this.layout.environmentFile, this.env);
  }

  powerOff(id: string): Promise<void> {
    return this.#serial(async () => {
      const m = this.#machine(id);
      if (!m.powered) return;
      await m.powerOff();
      this.presence.reconcile();
      this.agents.reconcile();
      await this.#save();
    });
  }

  powerOn(id: string): Promise<void> {
    return this.#serial(async () => {
      const m = this.#machine(id);
      if (m.powered) return;
      await m.powerOn(false);
      if (m.record.provisioning) {
        await stopAgentsOf(m);
        await m.reconcileApi();
      }
      this.presence.reconcile();
      this.agents.reconcile();
      await this.#save();
    });
  }

  setMemberHealthy(id: string, healthy: boolean): Promise<void> {
    return this.#serial(async () => {
      const m = this.#machine(id);
      if (!m.stateServer) throw new QuorumError('invalid-input', `Machine ${id} is not a state server; it has no juju-db member.`);
      this.cluster.setHealthy(m.id, healthy);
      this.#health.set(m.id, healthy);
    });
  }

  setBlock(kind: SandboxBlockKind, message: string | null): Promise<void> {
    return this.#serial(async () => {
      if (!['destroy-environment', 'remove-object', 'all-changes'].includes(kind)) throw new QuorumError('invalid-input', `Juju has no block of kind ${String(kind)}.`);
      const members = (): MemberEndpoint[] =>
        this.cluster
          .members()
          .filter((m) => m.status === 'running')
          .map((m) => ({ machineId: m.machineId, port: m.port }));
      await setSandboxBlock({ envUuid: this.env.uuid, members, auth: this.auth }, kind, message);
    });
  }

  setDiskFree(id: string, bytes: number | null): Promise<void> {
    return this.#serial(async () => {
      if (bytes !== null && (!Number.isSafeInteger(bytes) || bytes < 0)) throw new QuorumError('invalid-input', `${String(bytes)} is not a byte count.`);
      if (bytes === null) this.#diskFree.delete(id);
      else this.#diskFree.set(id, bytes);
      const m = this.machines.get(id);
      if (m) m.diskFree = bytes;
    });
  }

  /** Disk-full faults by machine id: they outlive a replacement started with the same id. */
  readonly #diskFree = new Map<string, number>();

  rotateHostKey(id: string): Promise<string> {
    return this.#serial(async () => {
      const m = this.#machine(id);
      const pair = await createHostKey(this.layout.hostKeyFile(m.id), m.id);
      m.host.setHostKey(pair.privateKey);
      return fingerprintSha256(pair.publicKey);
    });
  }

  addMachine(options: AddMachineOptions): Promise<SandboxMachineDescription> {
    return this.#serial(async () => {
      if (!options.jobs.length) throw new QuorumError('invalid-input', 'A new machine needs at least one job.');
      const machine = await this.#launch(options.id, options.jobs, { agentRunning: true });
      try {
        if (options.register) await registerMachine(this.env, machine.record, [...this.machines.values()], this.auth);
      } catch (err) {
        await destroyMachine(this.#ctx, machine.id, () => this.presence.reconcile()).catch(() => undefined);
        throw sandboxFailed(`add machine ${machine.id}`, err);
      }
      this.presence.reconcile();
      this.agents.reconcile();
      await this.#save();
      return this.#describeMachine(machine);
    });
  }

  /**
   * A new instance: the given id (replacing a powered-off machine with that
   * id) or the next free one, a fresh record, tree, host key and juju-db
   * member outside the replica set.
   */
  async #launch(requested: string | undefined, jobs: readonly MachineJob[], how: { agentRunning: boolean }): Promise<SandboxMachine> {
    const id = requested === undefined ? String(Math.max(-1, ...this.env.machines.map((m) => Number(m.id))) + 1) : String(requested);
    if (!/^\d+$/.test(id) || Number(id) > 244) throw new QuorumError('invalid-input', `Machine id ${id} is not one the sandbox can give (0–244).`);
    const existing = this.machines.get(id);
    if (existing?.powered) {
      throw new QuorumError('invalid-input', `Machine ${id} is still running; power it off before starting a replacement with its id.`);
    }
    if (existing !== undefined || this.env.machines.some((m) => m.id === id)) await destroyMachine(this.#ctx, id, () => this.presence.reconcile());
    const record: MachineRecord = { ...newMachineRecord(id, jobs), ...(how.agentRunning ? {} : { provisioning: true }) };
    try {
      const machine = await launchMachine(this.#ctx, record, how.agentRunning);
      machine.diskFree = this.#diskFree.get(id) ?? null;
      await this.#save();
      return machine;
    } catch (err) {
      throw sandboxFailed(`add machine ${id}`, err);
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    // Nobody may attach to a sandbox that is going away.
    this.#published = false;
    await removeRunningFile(this.layout.runningFile).catch(() => undefined);
    // The workers first: a machine the provisioner is starting finishes (or gives up) through the queue.
    await this.agents.stop().catch(() => undefined);
    await this.#queue;
    this.#stopped = true;
    await this.presence.stop().catch(() => undefined);
    await Promise.all([...this.machines.values()].map((m) => m.shutdown().catch(() => undefined)));
    await this.cluster.close().catch(() => undefined);
    await this.#save().catch(() => undefined);
    await this.release();
  }
}
