import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadEnvironment, newEnvironmentRecord, saveEnvironment } from './environment';
import type { CreateJujuDbCluster, JujuDbCluster } from './juju-db/api';
import { loadJujuDb } from './juju-db-loader';
import { createHostKey, readKeyPair } from './keys';
import { SandboxLayout } from './layout';
import { stopAgents } from './agents/machine-lifecycle';
import { acquireLock } from './lock';
import { SandboxMachine } from './machine';
import { REPLICA_SET_NAME, profileOf, stateServers, type EnvironmentRecord } from './model';
import { PresenceWriter } from './presence/presence-writer';
import { SandboxPresence } from './presence/sandbox-presence';
import { RunningSandbox, sandboxFailed, type Sandbox } from './running-sandbox';
import { createEnvironmentKeys, loadEnvironmentKeys, type EnvironmentKeys } from './secrets';
import { initiateReplicaSet, seedJujuDatabase, waitForPrimary, type MemberAuth, type MemberEndpoint } from './seed/seed-db';
import { buildMachineTree, unitsOn } from './tree/build-tree';
import type { SandboxStartInfo, StartSandboxOptions } from './types';

/**
 * The sandbox orchestrator's entry: creates (first start) or reopens (later
 * starts) the environment under `<home>/sandbox/`, starts juju-db and one
 * SSH host per machine, and on first start initiates the replica set and
 * seeds Juju's documents. A creation that did not finish is never reused.
 */

export type { Sandbox } from './running-sandbox';

export interface SandboxDeps {
  /** juju-db implementation; the real one by default (tests of the hosts alone may pass another). */
  readonly createJujuDbCluster?: CreateJujuDbCluster;
}

const ELECTION_TIMEOUT_MS = 1500;

async function wipe(layout: SandboxLayout): Promise<void> {
  const entries = await fs.readdir(layout.dir).catch(() => [] as string[]);
  for (const e of entries) {
    const p = path.join(layout.dir, e);
    if (p !== layout.lockFile) await fs.rm(p, { recursive: true, force: true });
  }
}

type Log = (line: string) => void;

/** The environment record and keys: loaded, or created with every machine's tree and host key. */
async function prepareEnvironment(
  layout: SandboxLayout,
  options: StartSandboxOptions,
  log: Log,
  phase: (name: string) => void,
): Promise<{ env: EnvironmentRecord; keys: EnvironmentKeys; created: boolean }> {
  if (options.reset) await wipe(layout);
  const existing = await loadEnvironment(layout.environmentFile);
  if (existing?.seeded) {
    const keys = await loadEnvironmentKeys(layout);
    if (options.mongo !== undefined && options.mongo !== profileOf(existing)) {
      log(`Note: this sandbox's juju-db runs MongoDB ${profileOf(existing)}; --mongo applies when the sandbox is created (add --reset to rebuild it).`);
    }
    phase('load');
    return { env: existing, keys, created: false };
  }
  if (existing) log('The previous sandbox creation did not finish; building a new sandbox.');
  await wipe(layout);
  log('Creating the sandbox environment…');
  const env = newEnvironmentRecord(options.scale ?? 0, options.machines, { mongo: options.mongo, caSignature: options.caSignature });
  const keys = await createEnvironmentKeys(layout, env, env.caSignature);
  phase('keys');
  await Promise.all(
    env.machines.map(async (m) => {
      await buildMachineTree(layout.machineRoot(m.id), env, m, keys);
      await createHostKey(layout.hostKeyFile(m.id), m.id);
    }),
  );
  // Saved unseeded: if seeding does not finish, the next start rebuilds instead of reusing half a sandbox.
  await saveEnvironment(layout.environmentFile, env);
  phase('trees');
  return { env, keys, created: true };
}

/** First boot, as Juju's bootstrap: replSetInitiate through the driver, wait for a primary, write the documents. */
async function bootstrapDatabase(
  env: EnvironmentRecord,
  keys: EnvironmentKeys,
  machines: ReadonlyMap<string, SandboxMachine>,
  auth: MemberAuth,
  log: Log,
  phase: (name: string) => void,
): Promise<void> {
  const endpoints = (): MemberEndpoint[] =>
    [...machines.values()]
      .filter((m) => m.stateServer && m.member?.status === 'running')
      .map((m) => ({ machineId: m.id, port: m.member!.port }));
  const bootstrap = endpoints().find((m) => m.machineId === stateServers(env)[0]!.id);
  if (!bootstrap) throw new Error('the bootstrap machine\'s juju-db is not running');
  await initiateReplicaSet(env, bootstrap, auth);
  const primary = await waitForPrimary(endpoints(), auth);
  phase('initiate');
  if (env.scaleMb > 0) log(`Seeding about ${env.scaleMb} MB of Juju documents…`);
  let lastLogged = 0;
  await seedJujuDatabase(env, primary, auth, { caCertPem: keys.caCertPem, authorizedKeys: keys.authorizedKeys }, (bytes) => {
    const mb = Math.floor(bytes / (1024 * 1024));
    if (mb - lastLogged >= 64) {
      lastLogged = mb;
      log(`  ${mb} MB written`);
    }
  });
  env.seeded = true;
  phase('seed');
}

/** The agents' presence pingers, writing through whichever member is primary. */
function startPresence(env: EnvironmentRecord, cluster: JujuDbCluster, machines: ReadonlyMap<string, SandboxMachine>, auth: MemberAuth): SandboxPresence {
  const members = (): MemberEndpoint[] =>
    cluster
      .members()
      .filter((m) => m.status === 'running')
      .map((m) => ({ machineId: m.machineId, port: m.port }));
  return new SandboxPresence(() => machines.values(), new PresenceWriter(env.uuid, auth, members));
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
  let presence: SandboxPresence | undefined;
  const machines = new Map<string, SandboxMachine>();
  try {
    const { env, keys, created } = await prepareEnvironment(layout, options, log, phase);
    const createCluster = deps.createJujuDbCluster ?? (await loadJujuDb());
    cluster = await createCluster({
      dataDir: layout.jujuDbDir,
      tls: { certPem: keys.serverCertPem, keyPem: keys.serverKeyPem, caPem: keys.caCertPem },
      setName: REPLICA_SET_NAME,
      profile: profileOf(env),
      bootstrapUsers: [
        { user: 'admin', password: env.adminPassword },
        ...stateServers(env).map((m) => ({ user: `machine-${m.id}`, password: m.statePassword })),
      ],
      electionTimeoutMillis: ELECTION_TIMEOUT_MS,
    });
    for (const m of env.machines) {
      const hostKey = await readKeyPair(layout.hostKeyFile(m.id));
      machines.set(
        m.id,
        new SandboxMachine(m, {
          root: layout.machineRoot(m.id),
          hostKey: hostKey.privateKey,
          environmentPublicKey: keys.environmentPublicKey,
          unitNames: unitsOn(env, m.id).map((u) => u.name),
          cluster,
          api: { adminPassword: () => Promise.resolve(keys.adminUserPassword) },
        }),
      );
    }
    await Promise.all([...machines.values()].filter((m) => m.powered).map((m) => m.powerOn(true)));
    // A machine the provisioner was starting when the sandbox stopped: its agent is not up yet (the provisioner finishes it).
    await Promise.all(
      [...machines.values()].filter((m) => m.record.provisioning).map(async (m) => {
        await stopAgents(m);
        await m.reconcileApi();
      }),
    );
    phase('start');

    const auth: MemberAuth = { username: 'admin', password: env.adminPassword, caPem: keys.caCertPem };
    if (!env.seeded) await bootstrapDatabase(env, keys, machines, auth, log, phase);
    await saveEnvironment(layout.environmentFile, env);
    presence = startPresence(env, cluster, machines, auth);
    await presence.start();
    phase('presence');
    const startInfo: SandboxStartInfo = { created, totalMs: Math.round(performance.now() - t0), phases };
    const sandbox = new RunningSandbox(layout, env, keys, cluster, machines, auth, startInfo, release, presence, options.agents, log);
    try {
      await sandbox.startAgents();
    } catch (err) {
      await sandbox.stop().catch(() => undefined);
      throw err;
    }
    return sandbox;
  } catch (err) {
    // Library messages (ENOENT, EADDRINUSE, driver errors) carry no secrets; they are what a bug report needs.
    log(`Sandbox start failed: ${err instanceof Error ? err.message : String(err)}`);
    await presence?.stop().catch(() => undefined);
    await Promise.all([...machines.values()].map((m) => m.shutdown().catch(() => undefined)));
    await cluster?.close().catch(() => undefined);
    await release().catch(() => undefined);
    throw sandboxFailed('start', err);
  }
}
