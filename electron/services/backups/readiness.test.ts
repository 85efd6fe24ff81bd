import { Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import type { JujuDbClient } from '../mongo/juju-db-client';
import type { ReplicaSetView } from './readiness';
import { chooseInitialStateServer, HA_NOT_READY, isReplicaSetReady, readReplicaSet, stateServerChoices, waitUntilReady } from './readiness';

function view(members: Array<{ id: number; machine: string; votes?: number; state: 'PRIMARY' | 'SECONDARY' | 'DOWN'; health?: number }>): ReplicaSetView {
  return {
    config: {
      name: 'juju',
      version: 1,
      members: members.map((m) => ({ id: m.id, host: `10.0.0.${m.id}:37017`, votes: m.votes ?? 1, priority: 1, tags: { 'juju-machine-id': m.machine } })),
    },
    status: {
      set: 'juju',
      members: members.map((m) => ({ id: m.id, name: `10.0.0.${m.id}:37017`, state: m.state, health: m.health ?? (m.state === 'DOWN' ? 0 : 1), optimeSeconds: null, self: false, message: null })),
    },
  };
}

describe('initial state server and readiness', () => {
  it('picks machine 0 when it is up, whatever its role', () => {
    const v = view([
      { id: 0, machine: '0', state: 'SECONDARY' },
      { id: 1, machine: '1', state: 'PRIMARY' },
      { id: 2, machine: '2', state: 'SECONDARY' },
    ]);
    expect(chooseInitialStateServer(stateServerChoices(v))?.machineId).toBe('0');
  });

  it('else the lowest-numbered healthy voting state server (numeric order, non-voters skipped)', () => {
    const v = view([
      { id: 0, machine: '0', state: 'DOWN' },
      { id: 1, machine: '10', state: 'SECONDARY' },
      { id: 2, machine: '2', state: 'SECONDARY', votes: 0 },
      { id: 3, machine: '3', state: 'PRIMARY' },
    ]);
    expect(stateServerChoices(v).map((c) => c.machineId)).toEqual(['0', '2', '3', '10']);
    expect(chooseInitialStateServer(stateServerChoices(v))?.machineId).toBe('3');
  });

  it('is ready with a healthy majority of voters and a primary, not otherwise', () => {
    expect(isReplicaSetReady(view([{ id: 0, machine: '0', state: 'PRIMARY' }, { id: 1, machine: '1', state: 'SECONDARY' }, { id: 2, machine: '2', state: 'DOWN' }]))).toBe(true);
    expect(isReplicaSetReady(view([{ id: 0, machine: '0', state: 'SECONDARY' }, { id: 1, machine: '1', state: 'DOWN' }, { id: 2, machine: '2', state: 'DOWN' }]))).toBe(false);
    expect(isReplicaSetReady(view([{ id: 0, machine: '0', state: 'SECONDARY' }, { id: 1, machine: '1', state: 'SECONDARY' }]))).toBe(false);
  });

  it('waits, then fails with Juju\'s "HA not ready; try again later"', async () => {
    let reads = 0;
    const notReady = view([{ id: 0, machine: '0', state: 'SECONDARY' }, { id: 1, machine: '1', state: 'DOWN' }, { id: 2, machine: '2', state: 'DOWN' }]);
    const error = await waitUntilReady(
      async () => {
        reads++;
        return notReady;
      },
      { timeoutMs: 300, pollMs: 50 },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ha-not-ready' });
    expect((error as Error).message.startsWith(HA_NOT_READY)).toBe(true);
    expect(reads).toBeGreaterThan(2);
  });

  it('returns as soon as the set becomes ready', async () => {
    let reads = 0;
    const ready = view([{ id: 0, machine: '0', state: 'PRIMARY' }]);
    const v = await waitUntilReady(
      async () => {
        reads++;
        if (reads < 3) throw new Error('not yet');
        return ready;
      },
      { timeoutMs: 5_000, pollMs: 20 },
    );
    expect(v).toBe(ready);
    expect(reads).toBe(3);
  });
});

describe('reading the replica set through JujuDbClient', () => {
  it("takes MongoDB 2.4's answers: local.system.replset's config and replSetGetStatus with Timestamp optimes", async () => {
    const optime = new Timestamp({ t: 1442243174, i: 1 });
    const optimeDate = new Date(1442243174000);
    const commands: unknown[] = [];
    const client = {
      // What the legacy client returns on 2.4: the local.system.replset document itself.
      replSetGetConfig: async () => ({
        _id: 'juju',
        version: 3,
        members: [
          { _id: 1, host: '10.0.0.1:37017', tags: { 'juju-machine-id': '0' } },
          { _id: 2, host: '10.0.0.2:37017', tags: { 'juju-machine-id': '1' } },
          { _id: 3, host: '10.0.0.3:37017', votes: 0, priority: 0, tags: { 'juju-machine-id': '2' } },
        ],
      }),
      command: async (db: string, command: unknown) => {
        commands.push([db, command]);
        return {
          set: 'juju',
          date: new Date(),
          myState: 1,
          members: [
            { _id: 1, name: '10.0.0.1:37017', health: 1, state: 1, stateStr: 'PRIMARY', uptime: 100, optime, optimeDate, self: true },
            { _id: 2, name: '10.0.0.2:37017', health: 1, state: 2, stateStr: 'SECONDARY', uptime: 90, optime, optimeDate, lastHeartbeat: new Date(), pingMs: 0 },
            { _id: 3, name: '10.0.0.3:37017', health: 0, state: 8, stateStr: '(not reachable/healthy)', uptime: 0, optime: new Timestamp({ t: 0, i: 0 }), optimeDate: new Date(0) },
          ],
          ok: 1,
        };
      },
    } as unknown as JujuDbClient;
    const view = await readReplicaSet(client);
    expect(commands).toEqual([['admin', { replSetGetStatus: 1 }]]);
    expect(stateServerChoices(view)).toEqual([
      { machineId: '0', address: '10.0.0.1', voting: true, healthy: true, primary: true },
      { machineId: '1', address: '10.0.0.2', voting: true, healthy: true, primary: false },
      { machineId: '2', address: '10.0.0.3', voting: false, healthy: false, primary: false },
    ]);
    expect(view.status.members[0]!.optimeSeconds).toBe(1442243174);
    expect(isReplicaSetReady(view)).toBe(true);
  });
});
