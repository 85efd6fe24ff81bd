import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoProfile } from '../../sandbox/testing/mongo-profile';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { fillScratch } from '../../sandbox/testing/cursor-memory';
import type { JujuDbClient } from '../mongo/juju-db-client';
import { targetForSandbox } from '../environments/targets';
import { createMemoryLogger } from '../log';
import { ConnectionManager } from './connection-manager';
import type { EnvironmentConnection } from './environment-connection';

/**
 * Regression: a machine powered off in the middle of a long read (as during
 * a backup) and powered back on. The read in flight must fail promptly with
 * a QuorumError (not hang), and once SSH is back the session's juju-db
 * access must work again within seconds, not keep failing with
 * "connection … closed" from a client bound to the dead tunnel.
 *
 * The read is shaped like a backup's dump (raw documents, ~4 MiB batches,
 * consumed as fast as they come): every socket of the client dies at once,
 * which is what wedged the driver's server monitor before the session began
 * replacing its client after a drop (this test then failed: the probe below
 * kept getting "connection 1 to 127.0.0.1:… closed" for its full 20 s).
 * Through `JujuDbClient`: the legacy client on the 2.4 sandbox, the driver
 * on the 6.0 profile.
 */

const DOCS = 20_000;
const SCRATCH = { db: 'scratch', collection: 'powerCycle' } as const;

/** The `count` command: 2.4 has it, and so does every later server. */
async function count(c: JujuDbClient): Promise<number> {
  return Number((await c.command(SCRATCH.db, { count: SCRATCH.collection, query: {} }))['n']);
}

let home: string;
let sandbox: Sandbox;
let manager: ConnectionManager;
let env: EnvironmentConnection;
const secrets = new SecretRegistry();
const logger = createMemoryLogger(secrets);

function addressOf(id: string): string {
  return sandbox.describe().machines.find((m) => m.id === id)!.address;
}

async function eventually<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < timeoutMs) {
    try {
      const value = await probe();
      if (ok(value)) return { value, ms: Date.now() - start };
      last = value;
    } catch (error) {
      last = error instanceof Error ? `${error.name}: ${error.message}` : error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met in ${timeoutMs} ms; last: ${String(last)}`);
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-power-cycle-'));
  sandbox = await startSandbox({ home, ...testMongoProfile() });
  manager = new ConnectionManager({ quorumHome: home, secrets, logger, backoff: { initialMs: 200, maxMs: 1_000 } });
  env = manager.open(targetForSandbox(sandbox.describe()));
  // Machine 0 is the primary of a fresh sandbox; the secondaries replicate the collection.
  const primary = await env.stateServer(addressOf('0'));
  await primary.withMongo((c) => fillScratch(c, SCRATCH, DOCS, 1024));
}, 60_000);

afterAll(async () => {
  await manager?.close();
  await sandbox?.stop();
  await fs.rm(home, { recursive: true, force: true });
});

describe('power cycle during a long read', () => {
  it('fails the read in flight with a QuorumError and serves juju-db again within seconds of power-on', async () => {
    const session = await env.stateServer(addressOf('0'));

    const before = await session.mongo();
    // A long read through the session, mid-stream when the power goes.
    let docs = 0;
    let powerOff: Promise<void> | null = null;
    const started = Date.now();
    const read = session
      .withMongo(async (client) => {
        const cursor = client.findRaw(SCRATCH, {}, { batchSize: 4_000 });
        for await (const _doc of cursor) {
          docs++;
          if (docs === 6_000) powerOff = sandbox.powerOff('0');
        }
        return docs;
      })
      .then(
        (n) => ({ ok: true as const, n, ms: Date.now() - started }),
        (error: unknown) => ({ ok: false as const, error, ms: Date.now() - started }),
      );

    const outcome = await Promise.race([read, new Promise<'hang'>((r) => setTimeout(() => r('hang'), 15_000))]);
    expect(powerOff).not.toBeNull();
    await powerOff;
    expect(outcome).not.toBe('hang');
    if (outcome === 'hang') return;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toBeInstanceOf(QuorumError);
    const failure = outcome.error as QuorumError;
    expect(['host-unreachable', 'mongo-unavailable']).toContain(failure.code);
    expect(failure.message).toContain(addressOf('0'));
    expect(docs).toBeLessThan(DOCS);

    // While off: callers get the session's error at once.
    await eventually(
      () => session.state,
      (s) => s === 'unreachable',
      5_000,
    );
    await expect(session.withMongo((c) => c.command('admin', { ping: 1 }))).rejects.toBeInstanceOf(QuorumError);

    await sandbox.powerOn('0');
    const poweredOn = Date.now();
    const back = await eventually(
      () => session.withMongo(count),
      (n) => n === DOCS,
      20_000,
    );
    const recovered = Date.now() - poweredOn;
    console.log(`in-flight read failed after ${outcome.ms} ms (${docs} docs, ${failure.code}); juju-db answered again ${recovered} ms after power-on`);
    expect(back.value).toBe(DOCS);
    expect(recovered).toBeLessThan(5_000);
    // The client of the dead SSH connection was closed, not reused.
    const after = await session.mongo();
    expect(after).not.toBe(before);
    await expect(before.command('admin', { ping: 1 })).rejects.toMatchObject({ name: 'JujuDbNetworkError' });

    // A fresh long read works end to end after the power cycle.
    const again = await session.withMongo(async (client) => {
      let n = 0;
      for await (const _doc of client.find(SCRATCH, {}, { batchSize: 500 })) n++;
      return n;
    });
    expect(again).toBe(DOCS);
  }, 90_000);

  it('recovers within seconds when juju-db is stopped mid-read and started again while SSH stays up', async () => {
    const session = await env.stateServer(addressOf('1'));
    expect(session.state).toBe('connected');
    // The secondary has caught up with the primary's inserts.
    await eventually(
      () => session.withMongo(count),
      (n) => n === DOCS,
      10_000,
    );
    let docs = 0;
    let stopped: Promise<Buffer> | null = null;
    const read = session
      .withMongo(async (client) => {
        for await (const _doc of client.findRaw(SCRATCH, {}, { batchSize: 4_000 })) {
          docs++;
          if (docs === 6_000) stopped = session.run({ kind: 'service', service: 'juju-db', action: 'stop' });
        }
        return docs;
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    const outcome = await Promise.race([read, new Promise<'hang'>((r) => setTimeout(() => r('hang'), 15_000))]);
    expect(stopped).not.toBeNull();
    expect((await stopped!).toString()).toContain('stop/waiting');
    expect(outcome).toBeInstanceOf(QuorumError);
    expect((outcome as QuorumError).code).toBe('mongo-unavailable');

    await session.run({ kind: 'service', service: 'juju-db', action: 'start' });
    const started = Date.now();
    const back = await eventually(
      () => session.withMongo(count),
      (n) => n === DOCS,
      20_000,
    );
    const recovered = Date.now() - started;
    console.log(`juju-db restart: in-flight read failed (${docs} docs); answered again ${recovered} ms after start`);
    expect(back.value).toBe(DOCS);
    expect(recovered).toBeLessThan(8_000);
    expect(session.state).toBe('connected');
  }, 90_000);
});
