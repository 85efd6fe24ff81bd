import { setTimeout as sleep } from 'node:timers/promises';
import { JujuDbServerError, type JujuDbClient } from '../../services/mongo/juju-db-client';
import { isStateServer, type EnvironmentRecord, type MachineJob, type MachineRecord } from '../model';
import { addAdminUser, type MemberAuth, type MemberEndpoint } from '../seed/seed-db';
import { agentPasswordHash, instanceDataDoc } from '../seed/juju-docs';
import { INSTANCE_DATA, LIFE, MACHINES, STATUSES, UNITS, machineDocId, readMachines, setMachineStatus, statusId } from './juju-state';
import { PrimaryClient } from './primary';
import { planProvisioning, type ProvisionAction, type RemoveAction } from './provisioner-plan';

/**
 * The sandbox's environ provisioner (and, for the machines it starts, their
 * machine agents' first steps), running in the sandbox orchestrator while
 * the sandbox runs. It polls juju-db's primary and:
 *
 * - starts a new sandbox machine for every alive machine document without
 *   `instanceData` (what ensure-availability adds): SSH host, Juju tree,
 *   juju-db member not yet in the replica set, agent not yet running; after
 *   `provisionDelayMs` (an instance booting and its agent coming up) it
 *   records the instance (`instanceData`, nonce, addresses, agent password
 *   hash), adds the agent's Mongo user `machine-N` on state servers, sets
 *   the agent status `started` and starts the agent (its presence pinger):
 *   the topology sees pending → started;
 * - for a dying machine with no units, makes it dead (the machiner), and
 *   for a dead one stops its sandbox machine and removes its documents
 *   (`Machine.Remove`), so `remove-machine` completes.
 */

export interface ProvisionerHost {
  readonly env: EnvironmentRecord;
  /** Ids of the machines the sandbox runs. */
  machineIds(): ReadonlySet<string>;
  /** Sandbox machines started by the provisioner whose agent has not started yet. */
  pendingIds(): ReadonlySet<string>;
  /** Sandbox machines whose machine agent runs (powered on, jujud job started). */
  agentRunningIds(): ReadonlySet<string>;
  /** A sandbox machine's record. */
  record(id: string): MachineRecord | undefined;
  /** Running juju-db members (where the primary is looked for). */
  members(): readonly MemberEndpoint[];
  /** Starts the instance with its agent not running yet; returns its record. */
  startInstance(id: string, jobs: readonly MachineJob[]): Promise<MachineRecord>;
  /** The machine agent comes up (its jujud job runs, so its presence pings). */
  startAgent(id: string): Promise<void>;
  /** Stops and removes the sandbox machine (no-op when there is none). */
  stopInstance(id: string): Promise<void>;
  log?(line: string): void;
}

export interface ProvisionerOptions {
  /** How often juju-db is polled (default 400 ms). */
  readonly intervalMs?: number;
  /** Time from noticing a new machine to its agent reporting `started` (default 3000 ms). */
  readonly provisionDelayMs?: number;
}

export const DEFAULT_PROVISION_DELAY_MS = 3_000;
const DEFAULT_INTERVAL_MS = 400;
const RETRY_MS = 500;

export class Provisioner {
  readonly #primary: PrimaryClient;
  readonly #busy = new Set<string>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #intervalMs: number;
  readonly #delayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly host: ProvisionerHost,
    auth: MemberAuth,
    options: ProvisionerOptions = {},
  ) {
    this.#primary = new PrimaryClient(auth, () => host.members());
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.#delayMs = options.provisionDelayMs ?? DEFAULT_PROVISION_DELAY_MS;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Machines being started or removed now. */
  busy(): string[] {
    return [...this.#busy];
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    clearTimeout(this.#timer);
    await this.#pass;
    await Promise.allSettled([...this.#tasks]);
    await this.#primary.close();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#pass = this.#runPass().finally(() => this.#schedule(this.#intervalMs));
    }, ms);
    this.#timer.unref();
  }

  async #runPass(): Promise<void> {
    try {
      await this.#primary.run((client) => this.#decide(client));
    } catch {
      // No primary for a moment, a failover, a stepped-down member: the next pass looks again.
    }
  }

  async #decide(client: JujuDbClient): Promise<void> {
    const uuid = this.host.env.uuid;
    const machines = await readMachines(client, uuid);
    const instances = await client.find(INSTANCE_DATA, { 'env-uuid': uuid }, { projection: { machineid: 1 }, secondaryOk: false }).toArray();
    const units = await client.find(UNITS, { 'env-uuid': uuid }, { projection: { machineid: 1 }, secondaryOk: false }).toArray();
    const plan = planProvisioning({
      machines,
      provisioned: new Set(instances.map((d) => String(d['machineid']))),
      sandboxMachines: this.host.machineIds(),
      pending: this.host.pendingIds(),
      agentRunning: this.host.agentRunningIds(),
      withUnits: new Set(units.map((d) => String(d['machineid']))),
      busy: this.#busy,
    });
    for (const action of plan.provision) this.#track(action.id, () => this.#provision(action));
    for (const action of plan.remove) this.#track(action.id, () => this.#remove(action));
  }

  #track(id: string, fn: () => Promise<void>): void {
    if (this.#stopped) return;
    this.#busy.add(id);
    const task = fn()
      .catch((err: unknown) => {
        if (!this.#stopped) this.host.log?.(`provisioner: machine ${id}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        this.#busy.delete(id);
        this.#tasks.delete(task);
      });
    this.#tasks.add(task);
  }

  async #provision(action: ProvisionAction): Promise<void> {
    const started = Date.now();
    this.host.log?.(`provisioner: ${action.resume ? 'resuming' : 'starting'} machine ${action.id} (${action.jobs.join(', ')})`);
    const existing = action.resume ? this.host.record(action.id) : undefined;
    const record = existing ?? (await this.host.startInstance(action.id, action.jobs));
    const remaining = this.#delayMs - (Date.now() - started);
    if (remaining > 0) await sleep(remaining, undefined, { signal: this.#abort.signal });
    await this.#untilDone(async (client) => this.#recordStarted(client, record));
    await this.host.startAgent(action.id);
    this.host.log?.(`provisioner: machine ${action.id} started in ${Date.now() - started} ms`);
  }

  /** SetProvisioned + the agent's first steps (password, addresses, status). Idempotent, so a retry after a failover is safe. */
  async #recordStarted(client: JujuDbClient, record: MachineRecord): Promise<void> {
    const env = this.host.env;
    const address = { value: record.address, addresstype: 'ipv4', networkscope: 'local-cloud' };
    await client.update(
      MACHINES,
      { _id: machineDocId(env.uuid, record.id) },
      {
        $set: {
          nonce: record.nonce,
          instanceid: record.instanceId,
          passwordhash: agentPasswordHash(record.apiPassword),
          addresses: [{ ...address, origin: 'provider' }],
          machineaddresses: [{ ...address, origin: 'machine' }],
          preferredpublicaddress: { ...address, origin: 'provider' },
          preferredprivateaddress: { ...address, origin: 'provider' },
        },
      },
    );
    const { _id, ...instance } = instanceDataDoc(env, record);
    await client.update(INSTANCE_DATA, { _id }, { $set: instance }, { upsert: true });
    if (isStateServer(record)) {
      await addAdminUser(client, `machine-${record.id}`, record.statePassword).catch((err: unknown) => {
        // createUser (2.6+) refuses a user that exists: an earlier attempt got that far.
        if (!(err instanceof JujuDbServerError && /already exists/i.test(err.message))) throw err;
      });
    }
    await setMachineStatus(client, env.uuid, record.id, 'started');
  }

  async #remove(action: RemoveAction): Promise<void> {
    const uuid = this.host.env.uuid;
    const id = action.id;
    if (action.ensureDead) {
      await this.#untilDone((c) => c.update(MACHINES, { _id: machineDocId(uuid, id), life: LIFE.dying }, { $set: { life: LIFE.dead } }));
    }
    this.host.log?.(`provisioner: stopping machine ${id}`);
    await this.host.stopInstance(id);
    await this.#untilDone(async (c) => {
      await c.remove(MACHINES, { _id: machineDocId(uuid, id), life: LIFE.dead });
      await c.remove(INSTANCE_DATA, { _id: machineDocId(uuid, id) });
      await c.remove(STATUSES, { _id: statusId(uuid, id) });
    });
    this.host.log?.(`provisioner: machine ${id} removed`);
  }

  /** Runs `fn` on the primary, retrying through elections and failures until it succeeds or the provisioner stops. */
  async #untilDone<T>(fn: (client: JujuDbClient) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.#stopped) throw new Error('the provisioner stopped');
      try {
        const client = await this.#primary.get();
        if (client !== null) return await fn(client);
      } catch {
        await this.#primary.drop();
      }
      await sleep(RETRY_MS, undefined, { signal: this.#abort.signal });
    }
  }
}
