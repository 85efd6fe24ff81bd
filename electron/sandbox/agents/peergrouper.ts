import type { JujuDbClient } from '../../services/mongo/juju-db-client';
import { desiredPeerGroup, trackedMachineIds, type PeerMember } from '../../../shared/ha/peergrouper';
import { isPrimary, openMember, type MemberAuth } from '../seed/seed-db';
import { MACHINES, STATE_SERVERS, machineDocId, readMachineStatuses, readMachines, readStateServers } from './juju-state';
import { apiHostPorts, configDocument, configMembers, peerGroupInfo, reconfigSteps, sameHostPorts, type HostPortDoc } from './peergroup-plan';

/**
 * One state server's peergrouper worker (juju/juju 1.25
 * `worker/peergrouper`), run by the sandbox for every state-server machine
 * whose agent runs. Every state server runs one; only the one whose own
 * juju-db member is the primary acts (only the primary can reconfigure;
 * Juju's others fail with `cannot set replicaset` and retry, the sandbox's
 * simply skip the pass). Each pass:
 *
 * 1. reads `stateServers`, the machines in it and their agent statuses (a
 *    machine joins the working set once `started`);
 * 2. publishes the API host ports (`stateServers` `apiHostPorts`), when
 *    they changed;
 * 3. computes the desired replica set with shared/ha `desiredPeerGroup`
 *    from `replSetGetStatus` and the config (new members non-voting; votes
 *    added and removed in pairs once members are healthy);
 * 4. writes `hasvote: true` for gainers, `replSetReconfig` with the version
 *    bumped (reverting those flags if it fails), then `hasvote: false` for
 *    losers.
 *
 * Juju polls every minute and after changes; the sandbox polls every
 * `intervalMs` (default 500 ms) so transitions show within 2 s, and backs
 * off after a failed pass (from `backoffMs`, doubling to `maxBackoffMs`).
 */

export interface PeergrouperHost {
  readonly envUuid: string;
  /** Local port of the machine's own juju-db member, 0 while it is not running. */
  memberPort(machineId: string): number;
  /**
   * Whether the machine agent that runs this worker still runs (powered on,
   * `jujud-machine-N` started). Checked at the start of a pass and again
   * before it writes: a stopped agent acts no more, as a killed jujud would
   * not, even before the supervisor's next reconcile stops the worker.
   */
  agentRunning?(): boolean;
  /** The API host ports as published (each pass that finds them changed). */
  onApiHostPorts?(hostPorts: readonly (readonly HostPortDoc[])[]): void;
  log?(line: string): void;
}

export interface PeergrouperOptions {
  readonly intervalMs?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

export type PassOutcome = 'idle' | 'not-primary' | 'unchanged' | 'reconfigured';

/** MongoDB 4.4 (wire version 9) brought the one-voter-per-reconfig rule. */
const SINGLE_VOTER_WIRE_VERSION = 9;

export class Peergrouper {
  #client: { readonly port: number; readonly client: JujuDbClient } | null = null;
  #tracked = new Set<string>();
  #lastPublished = '';
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #backoff = 0;
  readonly #intervalMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;

  constructor(
    readonly machineId: string,
    private readonly host: PeergrouperHost,
    private readonly auth: MemberAuth,
    options: PeergrouperOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 500;
    this.#backoffMs = options.backoffMs ?? 1_000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#pass.catch(() => undefined);
    await this.#dropClient();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#pass = this.pass().then(
        () => {
          this.#backoff = 0;
          this.#schedule(this.#intervalMs);
        },
        async (err: unknown) => {
          await this.#dropClient();
          this.#backoff = this.#backoff === 0 ? this.#backoffMs : Math.min(this.#backoff * 2, this.#maxBackoffMs);
          if (!this.#stopped) this.host.log?.(`peergrouper on machine ${this.machineId}: cannot set replicaset: ${(err as Error).message}`);
          this.#schedule(this.#backoff);
        },
      );
    }, ms);
    this.#timer.unref();
  }

  /** One pass (exposed for tests). */
  async pass(): Promise<PassOutcome> {
    const port = this.host.memberPort(this.machineId);
    if (port === 0 || !this.#agentRuns()) {
      await this.#dropClient();
      return 'idle';
    }
    const client = await this.#clientFor(port);
    if (!(await isPrimary(client))) return 'not-primary';
    const uuid = this.host.envUuid;
    const stateServers = await readStateServers(client);
    const machines = await readMachines(client, uuid, { machineid: { $in: [...stateServers.machineIds] } });
    const statuses = await readMachineStatuses(client, uuid, stateServers.machineIds);
    const known = new Set(machines.map((m) => m.id));
    this.#tracked = trackedMachineIds(this.#tracked, stateServers.machineIds.filter((id) => known.has(id)), (id) => statuses.get(id) ?? null);

    if (!this.#agentRuns()) return 'idle';
    await this.#publish(client, apiHostPorts(machines, this.#tracked));

    const status = await client.command('admin', { replSetGetStatus: 1 }, { secondaryOk: false });
    const config = await client.replSetGetConfig({ secondaryOk: false });
    const outcome = desiredPeerGroup(peerGroupInfo(machines, this.#tracked, { config, status }));
    if (!outcome.ok) throw new Error(outcome.error);
    const { members, gainVote, loseVote } = outcome.value;
    if (members === null) return 'unchanged';
    if (!this.#agentRuns()) return 'idle';

    const setHasVote = (id: string, hasVote: boolean) => client.update(MACHINES, { _id: machineDocId(uuid, id) }, { $set: { hasvote: hasVote } });
    for (const id of gainVote) await setHasVote(id, true);
    const steps = reconfigSteps(configMembers(config), members, client.server.maxWireVersion >= SINGLE_VOTER_WIRE_VERSION);
    const name = String(config['_id']);
    const version = Number(config['version']);
    let applied: readonly PeerMember[] | null = null;
    try {
      for (const [i, step] of steps.entries()) {
        await client.command('admin', { replSetReconfig: configDocument(name, version + i + 1, step) }, { secondaryOk: false });
        applied = step;
      }
    } catch (err) {
      // Revert the flags of machines whose vote the server did not take.
      const votingNow = new Set((applied ?? []).filter((m) => m.votes === undefined || m.votes > 0).map((m) => m.tags['juju-machine-id']));
      for (const id of gainVote) if (!votingNow.has(id)) await setHasVote(id, false).catch(() => undefined);
      throw err;
    }
    for (const id of loseVote) await setHasVote(id, false);
    const voters = members.filter((m) => m.votes === undefined || m.votes > 0).map((m) => m.tags['juju-machine-id']);
    this.host.log?.(`peergrouper on machine ${this.machineId}: replica set v${version + steps.length}: ${members.length} members, voting ${voters.join(', ')}`);
    return 'reconfigured';
  }

  #agentRuns(): boolean {
    return !this.#stopped && (this.host.agentRunning?.() ?? true);
  }

  /** `SetAPIHostPorts`: `$set` only when the list changed (Juju asserts the old value and skips an equal one). */
  async #publish(client: JujuDbClient, hostPorts: HostPortDoc[][]): Promise<void> {
    const existing = await client.findOne(STATE_SERVERS, { _id: 'apiHostPorts' }, { secondaryOk: false });
    if (!sameHostPorts(existing?.['apihostports'], hostPorts)) {
      await client.update(STATE_SERVERS, { _id: 'apiHostPorts' }, { $set: { apihostports: hostPorts } }, { upsert: true });
    }
    const key = JSON.stringify(hostPorts);
    if (key !== this.#lastPublished) {
      this.#lastPublished = key;
      this.host.onApiHostPorts?.(hostPorts);
    }
  }

  async #clientFor(port: number): Promise<JujuDbClient> {
    if (this.#client?.port === port) return this.#client.client;
    await this.#dropClient();
    const client = await openMember(port, this.auth, 2_000);
    if (this.#stopped) {
      await client.close().catch(() => undefined);
      throw new Error('stopped');
    }
    this.#client = { port, client };
    return client;
  }

  async #dropClient(): Promise<void> {
    const current = this.#client;
    this.#client = null;
    await current?.client.close().catch(() => undefined);
  }
}
