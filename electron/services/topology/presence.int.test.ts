import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Document } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoProfile } from '../../sandbox/testing/mongo-profile';
import { PRESENCE_PERIOD_SECONDS, parseBeingDoc, parsePingsDoc, pingedSeqs, presenceDocId, timeSlot } from '../../../shared/model/presence';
import type { MachineView, Topology } from '../../../shared/model/topology';
import { SecretRegistry } from '../../../shared/redact';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import type { EnvironmentConnection } from '../connection/environment-connection';
import { ConnectionManager } from '../connection/connection-manager';
import { targetForSandbox } from '../environments/targets';
import { createMemoryLogger } from '../log';
import type { JujuDbClient, JujuDbCursor, Namespace } from '../mongo/juju-db-client';
import { connectionTopologySource } from './connection-source';
import { PresenceReader } from './presence-reader';
import { createTopologyService, type TopologyService } from './topology-service';
import { readRound } from './topology-reader';

/**
 * Agent presence end to end, at Juju's real 30-s period: the sandbox's
 * machine and unit agents write Juju 1.25's presence documents through the
 * primary; the topology reads them with one query per round and shows a
 * workload machine `down` once its agent stops pinging (powered off, or its
 * jujud service stopped), keeping every other fact, and `started` again
 * once it pings.
 */

let home: string;
let sandbox: Sandbox;
let manager: ConnectionManager;
let connection: EnvironmentConnection;
let service: TopologyService;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-presence-'));
  sandbox = await startSandbox({ home, ...testMongoProfile() });
  const secrets = new SecretRegistry();
  const logger = createMemoryLogger(secrets);
  manager = new ConnectionManager({ quorumHome: home, secrets, logger, backoff: { initialMs: 200, maxMs: 1000 } });
  connection = manager.open(targetForSandbox(sandbox.describe()));
  service = createTopologyService({ openSource: async () => connectionTopologySource(connection), publish: () => undefined, log: logger, intervalMs: 1000 });
  service.select('sandbox');
  service.watch('test', true);
});

afterAll(async () => {
  await service?.close();
  await manager?.close();
  await sandbox?.stop();
  await fs.rm(home, { recursive: true, force: true });
});

function addressOf(id: string): string {
  return sandbox.describe().machines.find((m) => m.id === id)!.address;
}

async function mongo(): Promise<JujuDbClient> {
  return (await connection.stateServer(addressOf('0'))).mongo();
}

async function until(test: (t: Topology) => boolean, timeoutMs: number): Promise<{ topology: Topology; ms: number }> {
  const started = Date.now();
  for (;;) {
    service.watch('test', true); // renew the window's lease, as the renderer does
    const t = service.snapshot().topology;
    if (t !== null && test(t)) return { topology: t, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`no matching topology within ${timeoutMs} ms; last: ${JSON.stringify(t?.machines.map((m) => [m.id, m.agentState]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Recorded {
  readonly op: 'find' | 'findOne';
  readonly ns: string;
  readonly docs: Document[];
}

/**
 * Machine 0's client as the topology uses it, recording every read made
 * through it and the documents each returned: what Quorum asked juju-db for
 * and what reached it, whichever implementation (legacy or driver) is
 * underneath. Only calls through the wrapper are recorded, not the running
 * topology service's.
 */
async function recordingClient(): Promise<{ client: JujuDbClient; reads: Recorded[] }> {
  const inner = await mongo();
  const reads: Recorded[] = [];
  const recordCursor = (ns: Namespace, cursor: JujuDbCursor<Document>): JujuDbCursor<Document> => {
    const entry: Recorded = { op: 'find', ns: `${ns.db}.${ns.collection}`, docs: [] };
    reads.push(entry);
    return {
      next: async () => {
        const doc = await cursor.next();
        if (doc !== null) entry.docs.push(doc);
        return doc;
      },
      toArray: async () => {
        const docs = await cursor.toArray();
        entry.docs.push(...docs);
        return docs;
      },
      close: () => cursor.close(),
      [Symbol.asyncIterator]: () => cursor[Symbol.asyncIterator](),
    };
  };
  const client = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'find') return (ns: Namespace, filter?: Document, options?: object) => recordCursor(ns, target.find(ns, filter, options));
      if (property === 'findOne') {
        return async (ns: Namespace, filter?: Document, options?: object) => {
          const doc = await target.findOne(ns, filter, options);
          reads.push({ op: 'findOne', ns: `${ns.db}.${ns.collection}`, docs: doc === null ? [] : [doc] });
          return doc;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { client, reads };
}

const byId = (t: Topology, id: string): MachineView => t.machines.find((m) => m.id === id)!;

describe('agent presence in the sandbox and the topology', () => {
  it('every machine and unit agent has a being and pings the current slot, in Juju 1.25\'s format', async () => {
    const uuid = sandbox.describe().environment.uuid;
    const client = await mongo();
    const presence = (collection: string): Namespace => ({ db: 'presence', collection });
    const beings = await client.find(presence('presence.beings'), {}, { keepLongs: true }).toArray();
    const parsed = beings.map(parseBeingDoc);
    expect(parsed.every((b) => b !== null && b.envUuid === uuid)).toBe(true);
    expect(beings.every((b) => String(b['_id']) === presenceDocId(uuid, String(b['seq'])) && b['env-uuid'] === uuid)).toBe(true);
    const keys = new Set(parsed.map((b) => b!.key));
    for (const key of ['m#0', 'm#1', 'm#2', 'm#3', 'm#4', 'u#mysql/0', 'u#wordpress/0', 'u#wordpress/1']) expect(keys).toContain(key);
    const counter = await client.findOne(presence('presence.seqs'), { _id: presenceDocId(uuid, 'beings') });
    expect(Number(counter?.['seq'])).toBe(Math.max(...parsed.map((b) => b!.seq)));

    const slot = timeSlot(Date.now());
    const docs = await client
      .find(presence('presence.pings'), { _id: { $in: [presenceDocId(uuid, slot), presenceDocId(uuid, slot - PRESENCE_PERIOD_SECONDS)] } }, { keepLongs: true })
      .toArray();
    expect(docs.every((d) => Object.keys(d).sort().join() === ['_id', 'alive', 'slot'].join())).toBe(true);
    const pinged = pingedSeqs(docs.map((d) => parsePingsDoc(d)!), uuid, slot);
    for (const b of parsed) expect(pinged.alive.has(b!.seq)).toBe(true);
    expect(pinged.dead.size).toBe(0);
  });

  it('reads presence with one find per round once the beings are known', async () => {
    const { client, reads } = await recordingClient();
    const reader = new PresenceReader();
    const presenceReads = (): string[] => reads.filter((r) => r.ns.startsWith('presence.')).map((r) => `${r.op} ${r.ns.slice('presence.'.length)}`);
    const first = await readRound(client, reader);
    expect(first.juju.presence?.get('3')).toBe(true);
    const afterFirst = presenceReads().length;
    for (let i = 0; i < 3; i++) {
      const round = await readRound(client, reader);
      expect([...round.juju.presence!.values()].every(Boolean)).toBe(true);
    }
    expect(presenceReads().slice(afterFirst)).toEqual(['find presence.pings', 'find presence.pings', 'find presence.pings']);
    expect(presenceReads().slice(0, afterFirst)).toEqual(['find presence.pings', 'find presence.beings']);
  });

  it('reads juju.machines with a projection: no password hash or nonce reaches Quorum', async () => {
    const { client, reads } = await recordingClient();
    const round = await readRound(client, new PresenceReader());
    expect(round.juju.machines.map((m) => m.id)).toEqual(['0', '1', '2', '3', '4']);
    expect(round.juju.machines[0]).toMatchObject({ life: 'alive', jobs: ['JobManageEnviron', 'JobHostUnits'], agentVersion: '1.25.6', address: '10.23.0.10', hasVote: true });
    const machines = reads.filter((r) => r.ns === 'juju.machines');
    expect(machines).toHaveLength(1);
    const text = JSON.stringify(machines[0]!.docs);
    expect(text).toContain('10.23.0.13');
    expect(text).not.toContain('passwordhash');
    expect(text).not.toContain('nonce');
    // Without the projection those fields are there: the check above can fail.
    const whole = await client.findOne({ db: 'juju', collection: 'machines' }, { machineid: '3' });
    expect(Object.keys(whole ?? {})).toEqual(expect.arrayContaining(['passwordhash', 'nonce']));
  });

  it('a powered-off machine and a stopped agent show down within two periods, keeping every other fact; back to started once they ping', async () => {
    // A settled replica set too: a fresh sandbox's secondaries may still be in their initial sync (STARTUP2).
    const settled = (t: Topology): boolean => t.machines.every((m) => !m.member || m.member.state === 'PRIMARY' || m.member.state === 'SECONDARY');
    const { topology: before } = await until((t) => t.machines.length === 5 && t.machines.every((m) => m.agentState === 'started') && settled(t), 30_000);
    const session4 = connection.session(addressOf('4'));
    await session4.whenConnected();
    const t0 = Date.now();
    await sandbox.powerOff('3');
    await session4.run({ kind: 'service', service: 'jujud-machine-4', action: 'stop' });

    // Juju's watcher: alive while the last ping's slot is the current or the previous one, so 30–60 s after the last ping.
    const { topology: down, ms } = await until((t) => byId(t, '3').agentState === 'down' && byId(t, '4').agentState === 'down', 2 * PRESENCE_PERIOD_SECONDS * 1000 + 15_000);
    console.log(`workload agents shown down ${ms} ms after power-off / service stop (Juju's 30-s period)`);
    for (const id of ['3', '4']) {
      expect(byId(down, id)).toEqual({ ...byId(before, id), agentState: 'down', agentStateInfo: '(started)', agentPresent: false, reachable: false });
    }
    for (const id of ['0', '1', '2']) expect(byId(down, id)).toEqual(byId(before, id));
    expect(down.quorum).toEqual(before.quorum);
    expect(Date.now() - t0).toBeGreaterThan(1000);

    const t1 = Date.now();
    await sandbox.powerOn('3');
    await session4.run({ kind: 'service', service: 'jujud-machine-4', action: 'start' });
    const { topology: back, ms: upMs } = await until((t) => byId(t, '3').agentState === 'started' && byId(t, '4').agentState === 'started', 10_000);
    console.log(`shown started again ${upMs} ms after power-on / service start`);
    expect(byId(back, '3')).toEqual(byId(before, '3'));
    expect(byId(back, '4')).toEqual(byId(before, '4'));
    expect(Date.now() - t1).toBeLessThan(10_000);
  }, 120_000);
});
