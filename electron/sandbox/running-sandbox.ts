import fs from 'node:fs/promises';
import { QuorumError } from '../../shared/errors';
import { newMachineRecord, saveEnvironment } from './environment';
import type { JujuDbCluster } from './juju-db/api';
import { createHostKey, fingerprintSha256 } from './keys';
import type { SandboxLayout } from './layout';
import { SandboxMachine } from './machine';
import { AGENT_VERSION, SSH_USER, isStateServer, profileOf, type EnvironmentRecord } from './model';
import { profileVersion } from './juju-db/profile';
import type { EnvironmentKeys } from './secrets';
import { registerMachine } from './seed/register';
import type { SandboxPresence } from './presence/sandbox-presence';
import type { MemberAuth } from './seed/seed-db';
import { buildMachineTree } from './tree/build-tree';
import type { AddMachineOptions, SandboxControl, SandboxDescription, SandboxMachineDescription, SandboxStartInfo } from './types';

/**
 * A started sandbox: describes itself and applies fault injection (power,
 * member health, host keys) and growth (new machines), one operation at a
 * time, persisting what must survive a restart.
 */

export interface Sandbox extends SandboxControl {
  describe(): SandboxDescription;
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
  ) {}

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
    const guarded = () => fn().catch((err: unknown) => Promise.reject(sandboxFailed('complete that operation', err)));
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
      await this.#save();
    });
  }

  powerOn(id: string): Promise<void> {
    return this.#serial(async () => {
      const m = this.#machine(id);
      if (m.powered) return;
      await m.powerOn(false);
      this.presence.reconcile();
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
      const id = String(Math.max(-1, ...this.env.machines.map((m) => Number(m.id))) + 1);
      const record = newMachineRecord(id, options.jobs);
      this.env.machines.push(record);
      try {
        await buildMachineTree(this.layout.machineRoot(id), this.env, record, this.keys);
        const hostKey = await createHostKey(this.layout.hostKeyFile(id), id);
        const machine = new SandboxMachine(record, {
          root: this.layout.machineRoot(id),
          hostKey: hostKey.privateKey,
          environmentPublicKey: this.keys.environmentPublicKey,
          unitNames: [],
          cluster: this.cluster,
        });
        this.machines.set(id, machine);
        await machine.powerOn(true);
        if (options.register) await registerMachine(this.env, record, [...this.machines.values()], this.auth);
        await this.#save();
        return this.#describeMachine(machine);
      } catch (err) {
        await this.machines.get(id)?.shutdown().catch(() => undefined);
        if (isStateServer(record)) await this.cluster.stopMember(id).catch(() => undefined);
        this.machines.delete(id);
        this.env.machines.splice(this.env.machines.indexOf(record), 1);
        await fs.rm(this.layout.machineDir(id), { recursive: true, force: true }).catch(() => undefined);
        throw sandboxFailed(`add machine ${id}`, err);
      }
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    await this.#queue;
    this.#stopped = true;
    await this.presence.stop().catch(() => undefined);
    await Promise.all([...this.machines.values()].map((m) => m.shutdown().catch(() => undefined)));
    await this.cluster.close().catch(() => undefined);
    await this.#save().catch(() => undefined);
    await this.release();
  }
}
