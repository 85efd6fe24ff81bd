import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { QuorumError } from '../../shared/errors';
import { loadEnvironment, newEnvironmentRecord, newMachineRecord, saveEnvironment } from './environment';
import type { CreateJujuDbCluster, JujuDbCluster } from './juju-db/api';
import { createHostKey, fingerprintSha256, readKeyPair } from './keys';
import { SandboxLayout } from './layout';
import { acquireLock } from './lock';
import { SandboxMachine } from './machine';
import { AGENT_VERSION, REPLICA_SET_NAME, SSH_USER, isStateServer, stateServers, type EnvironmentRecord } from './model';
import { createEnvironmentKeys, loadEnvironmentKeys, type EnvironmentKeys } from './secrets';
import { registerMachine } from './seed/register';
import { initiateReplicaSet, seedJujuDatabase, waitForPrimary, type DriverAuth, type MemberEndpoint } from './seed/seed-db';
import { buildMachineTree, unitsOn } from './tree/build-tree';
import type {
  AddMachineOptions,
  SandboxControl,
  SandboxDescription,
  SandboxMachineDescription,
  SandboxStartInfo,
  StartSandboxOptions,
} from './types';
import { loadJujuDb } from './juju-db-loader';

/**
 * The sandbox orchestrator: creates (first start) or reopens (later starts)
 * the environment under `<home>/sandbox/`, starts juju-db and one SSH host
 * per machine, and offers the fault injection and growth operations the
 * console and tests drive.
 */

export interface Sandbox extends SandboxControl {
  describe(): SandboxDescription;
  readonly startInfo: SandboxStartInfo;
  readonly layout: SandboxLayout;
}

export interface SandboxDeps {
  /** juju-db implementation; the real one by default (tests of the hosts alone may pass another). */
  readonly createJujuDbCluster?: CreateJujuDbCluster;
}

const ELECTION_TIMEOUT_MS = 1500;

async function wipe(layout: SandboxLayout): Promise<void> {
  const entries = await fs.readdir(layout.dir).catch(() => [] as string[]);
  for (const e of entries) {
    if (`${layout.dir}/${e}` === layout.lockFile) continue;
    await fs.rm(`${layout.dir}/${e}`, { recursive: true, force: true });
  }
}

function sandboxFailed(what: string, cause: unknown): QuorumError {
  if (cause instanceof QuorumError) return cause;
  return new QuorumError('sandbox-failed', `The sandbox could not ${what}. Try again; if it keeps failing, reset it (npm run sandbox -- --reset).`, {
    cause,
  });
}

export async function startSandbox(options: StartSandboxOptions, deps: SandboxDeps = {}): Promise<Sandbox> {
  const log = options.onLog ?? (() => undefined);
  const layout = new SandboxLayout(options.home);
  const phases: Record<string, number> = {};
  const t0 = performance.now();
  let mark = t0;
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    mark = now;
  };

  await fs.mkdir(layout.dir, { recursive: true, mode: 0o700 });
  const release = await acquireLock(layout.lockFile);
  let cluster: JujuDbCluster | undefined;
  const machines = new Map<string, SandboxMachine>();
  try {
    if (options.reset) await wipe(layout);
    let env = await loadEnvironment(layout.environmentFile);
    if (env && !env.seeded) {
      log('The previous sandbox creation did not finish; building a new sandbox.');
      await wipe(layout);
      env = undefined;
    } else if (!env) {
      await wipe(layout);
    }
    const created = env === undefined;
    let keys: EnvironmentKeys;
    if (!env) {
      log('Creating the sandbox environment…');
      env = newEnvironmentRecord(options.scale ?? 0, options.machines);
      keys = await createEnvironmentKeys(layout, env);
      phase('keys');
      const e = env;
      await Promise.all(
        e.machines.map(async (m) => {
          await buildMachineTree(layout.machineRoot(m.id), e, m, keys);
          await createHostKey(layout.hostKeyFile(m.id), m.id);
        }),
      );
      await saveEnvironment(layout.environmentFile, env);
      phase('trees');
    } else {
      keys = await loadEnvironmentKeys(layout);
      phase('load');
    }
    const e: EnvironmentRecord = env;

    const createCluster = deps.createJujuDbCluster ?? (await loadJujuDb());
    cluster = await createCluster({
      dataDir: layout.jujuDbDir,
      tls: { certPem: keys.serverCertPem, keyPem: keys.serverKeyPem, caPem: keys.caCertPem },
      setName: REPLICA_SET_NAME,
      bootstrapUsers: [
        { user: 'admin', password: e.adminPassword },
        ...stateServers(e).map((m) => ({ user: `machine-${m.id}`, password: m.statePassword })),
      ],
      electionTimeoutMillis: ELECTION_TIMEOUT_MS,
    });
    for (const m of e.machines) {
      const hostKey = await readKeyPair(layout.hostKeyFile(m.id));
      machines.set(
        m.id,
        new SandboxMachine(m, {
          root: layout.machineRoot(m.id),
          hostKey: hostKey.privateKey,
          environmentPublicKey: keys.environmentPublicKey,
          unitNames: unitsOn(e, m.id).map((u) => u.name),
          cluster,
        }),
      );
    }
    await Promise.all([...machines.values()].filter((m) => m.powered).map((m) => m.powerOn(true)));
    phase('start');

    const auth: DriverAuth = { username: 'admin', password: e.adminPassword, caPem: keys.caCertPem };
    if (!e.seeded) {
      const endpoints = (): MemberEndpoint[] =>
        [...machines.values()]
          .filter((m) => m.stateServer && m.member?.status === 'running')
          .map((m) => ({ machineId: m.id, port: m.member!.port }));
      const bootstrap = endpoints().find((m) => m.machineId === stateServers(e)[0]!.id);
      if (!bootstrap) throw new Error('bootstrap member not running');
      await initiateReplicaSet(e, bootstrap, auth);
      const primary = await waitForPrimary(endpoints(), auth);
      phase('initiate');
      if (e.scaleMb > 0) log(`Seeding about ${e.scaleMb} MB of Juju documents…`);
      let lastLogged = 0;
      await seedJujuDatabase(e, primary, auth, { caCertPem: keys.caCertPem, authorizedKeys: keys.authorizedKeys }, (bytes) => {
        const mb = Math.floor(bytes / (1024 * 1024));
        if (mb - lastLogged >= 64) {
          lastLogged = mb;
          log(`  ${mb} MB written`);
        }
      });
      e.seeded = true;
      phase('seed');
    }
    await saveEnvironment(layout.environmentFile, e);
    const startInfo: SandboxStartInfo = { created, totalMs: Math.round(performance.now() - t0), phases };
    return new RunningSandbox(layout, e, keys, cluster, machines, auth, startInfo, release);
  } catch (err) {
    // Library messages (ENOENT, EADDRINUSE, driver errors) carry no secrets; they are what a bug report needs.
    log(`Sandbox start failed: ${err instanceof Error ? err.message : String(err)}`);
    await Promise.all([...machines.values()].map((m) => m.shutdown().catch(() => undefined)));
    await cluster?.close().catch(() => undefined);
    await release().catch(() => undefined);
    throw sandboxFailed('start', err);
  }
}

class RunningSandbox implements Sandbox {
  readonly #health = new Map<string, boolean>();
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(
    readonly layout: SandboxLayout,
    private readonly env: EnvironmentRecord,
    private readonly keys: EnvironmentKeys,
    private readonly cluster: JujuDbCluster,
    private readonly machines: Map<string, SandboxMachine>,
    private readonly auth: DriverAuth,
    readonly startInfo: SandboxStartInfo,
    private readonly release: () => Promise<void>,
  ) {}

  describe(): SandboxDescription {
    return {
      environment: {
        name: this.env.name,
        uuid: this.env.uuid,
        series: this.env.series,
        agentVersion: AGENT_VERSION,
        caCertPem: this.keys.caCertPem,
      },
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
      await this.#save();
    });
  }

  powerOn(id: string): Promise<void> {
    return this.#serial(async () => {
      const m = this.#machine(id);
      if (m.powered) return;
      await m.powerOn(false);
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
    await Promise.all([...this.machines.values()].map((m) => m.shutdown().catch(() => undefined)));
    await this.cluster.close().catch(() => undefined);
    await this.#save().catch(() => undefined);
    await this.release();
  }
}
