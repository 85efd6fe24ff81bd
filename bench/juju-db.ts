/**
 * Benchmark of the sandbox juju-db at backup scale (not part of `npm test`):
 *
 *   NODE_OPTIONS=--expose-gc npx tsx bench/juju-db.ts [--mongo 2.4|6.0] [--mb 500] [--rounds 3] [--batch 1000] [--gridfs 256] [--keep]
 *
 * `--mongo` picks the members' MongoDB profile (default 2.4, as Juju 1.25
 * runs it); the client is Quorum's own `JujuDbClient` as `connectJujuDb`
 * picks it (the legacy wire-protocol client on 2.4, the driver on 6.0), so
 * the figures are those of Quorum's backup path against each.
 *
 * Builds a ~500 MB data set like the sandbox's scale option (medium
 * `settings` documents with 20–100 KB config blobs, many ~230 B documents)
 * in a 3-member replica set under a temporary directory, then measures:
 * cold creation, seeding, restart of all three members (time and longest
 * event-loop stall), full-collection `find` with `raw: true` as a dump runs
 * it (docs/s and MB/s), a write during a dump, and a GridFS round trip
 * through Quorum's own GridFS (the backup's uploader and reader).
 * Prints every round so figures on a loaded machine can be read as ranges.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ObjectId, type Document } from 'bson';
import { SecretRegistry } from '../shared/redact';
import type { JujuDbProfile } from '../electron/sandbox/juju-db/api';
import type { JujuDbClusterImpl } from '../electron/sandbox/juju-db/cluster';
import { BatchIterator, takeBatch } from '../electron/sandbox/juju-db/cursors';
import type { ReplicaNode } from '../electron/sandbox/juju-db/node';
import { runFind } from '../electron/sandbox/juju-db/query/find';
import { CollectionSource } from '../electron/sandbox/juju-db/query/source';
import { cursorReplyChunks } from '../electron/sandbox/juju-db/raw-bson';
import { ADMIN, hostFor, makeCluster, testPki, waitFor, type TestCluster } from '../electron/sandbox/juju-db/test-support';
import { findFileByName, openDownloadStream } from '../electron/services/backups/gridfs';
import { GridFsArchiveUpload } from '../electron/services/backups/gridfs-upload';
import type { JujuDbClient } from '../electron/services/mongo/juju-db-client';
import { connectJujuDb } from '../electron/services/mongo/mongo-client';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
    gridfs: { type: 'string', default: '256' },
    keep: { type: 'boolean', default: false },
    mongo: { type: 'string', default: '2.4' },
  },
});
if (values.mongo !== '2.4' && values.mongo !== '6.0') throw new Error(`--mongo must be 2.4 or 6.0, not ${values.mongo}`);
const PROFILE: JujuDbProfile = values.mongo;
const TARGET_MB = Number(values.mb);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);
const GRIDFS_MB = Number(values.gridfs);
const MB = 1024 * 1024;
const IDS = ['0', '1', '2'];

function mib(n: number): string {
  return (n / MB).toFixed(0);
}

function line(s: string): void {
  process.stdout.write(`${s}\n`);
}

function range(xs: number[], unit: string, digits = 0): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return `${lo.toFixed(digits)}–${hi.toFixed(digits)} ${unit} (${xs.map((x) => x.toFixed(digits)).join(', ')})`;
}

/** Longest gap between timer ticks while `fn` runs: how long the event loop was blocked. */
async function withStallProbe<T>(fn: () => Promise<T>): Promise<{ value: T; maxStallMs: number }> {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - 5);
    last = now;
  }, 5);
  try {
    const value = await fn();
    return { value, maxStallMs: max };
  } finally {
    clearInterval(timer);
  }
}

function blob(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4))
    .toString('base64')
    .slice(0, bytes);
}

const secrets = new SecretRegistry();

/** Quorum's juju-db client straight to one member (as through the SSH tunnel), as admin. */
async function connect(t: TestCluster, machineId: string): Promise<JujuDbClient> {
  const member = t.cluster.member(machineId);
  if (!member || member.port === 0) throw new Error(`member ${machineId} is not running`);
  return connectJujuDb(
    { port: member.port, user: ADMIN.user, password: ADMIN.password, caPem: testPki().ca.certPem, servername: 'juju-mongodb' },
    { address: hostFor(machineId), user: ADMIN.user },
    secrets,
  );
}

async function primaryElected(client: JujuDbClient, all = false): Promise<boolean> {
  const s = await client.command('admin', { replSetGetStatus: 1 });
  const states = (s.members as Array<{ state: number }>).map((m) => m.state);
  return states.includes(1) && (!all || states.every((st) => st === 1 || st === 2));
}

/** Starts the members and initiates a set of all of them (replSetInitiate exists on 2.4 and 6.0 alike). */
async function startReplicaSet(t: TestCluster, ids: string[]): Promise<void> {
  for (const id of ids) await t.cluster.startMember(id, hostFor(id));
  const client = await connect(t, ids[0]!);
  try {
    await client.command('admin', {
      replSetInitiate: { _id: 'juju', version: 1, members: ids.map((id, i) => ({ _id: i + 1, host: hostFor(id), tags: { 'juju-machine-id': id } })) },
    });
    await waitFor(() => primaryElected(client, true), 15_000);
  } finally {
    await client.close();
  }
}

async function count(client: JujuDbClient, db: string, collection: string, query: Document = {}): Promise<number> {
  return Number((await client.command(db, { count: collection, query })).n);
}

/** Seed: 80% of the target as settings docs (20–100 KB), 20% as ~230 B docs. */
async function seed(client: JujuDbClient): Promise<{ settings: number; small: number; bytes: number }> {
  const settingsNs = { db: 'juju', collection: 'settings' };
  const unitsNs = { db: 'juju', collection: 'units' };
  const settingsTarget = TARGET_MB * MB * 0.8;
  const smallTarget = TARGET_MB * MB * 0.2;
  let bytes = 0;
  let settings = 0;
  let batch: Record<string, unknown>[] = [];
  let batchBytes = 0;
  while (bytes < settingsTarget) {
    const size = 20_000 + Math.floor(Math.random() * 80_000);
    batch.push({ _id: `e7c1-${settings}#s#app-${settings}`, 'env-uuid': 'e7c1', settings: { 'ssl-cert': blob(size), 'config-revision': settings }, version: 1 });
    settings++;
    bytes += size + 120;
    batchBytes += size;
    if (batchBytes > 4 * MB) {
      await client.insert(settingsNs, batch, { ordered: true });
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length) await client.insert(settingsNs, batch);
  let small = 0;
  let smallBytes = 0;
  batch = [];
  while (smallBytes < smallTarget) {
    batch.push({ _id: new ObjectId(), 'env-uuid': 'e7c1', name: `app-${small % 5000}/${small}`, life: 0, machineid: String(small % 40), jobs: ['JobHostUnits'], pad: 'x'.repeat(90) });
    small++;
    smallBytes += 230;
    if (batch.length === 10_000) {
      await client.insert(unitsNs, batch, { ordered: false });
      batch = [];
    }
  }
  if (batch.length) await client.insert(unitsNs, batch, { ordered: false });
  return { settings, small, bytes: bytes + smallBytes };
}

async function fullFind(client: JujuDbClient, coll: string): Promise<{ docs: number; bytes: number; ms: number }> {
  const t0 = performance.now();
  let docs = 0;
  let bytes = 0;
  for await (const d of client.findRaw({ db: 'juju', collection: coll }, {}, { batchSize: BATCH })) {
    docs++;
    bytes += d.length;
  }
  return { docs, bytes, ms: performance.now() - t0 };
}

/** The server's side of a full find alone: the find pipeline, batches and reply assembly (no TLS, no driver). */
function serverSideFind(t: TestCluster, coll: string): { docs: number; bytes: number; ms: number } {
  const node = t.cluster.member('0') as ReplicaNode;
  const c = node.store!.catalog.get(`juju.${coll}`)!;
  const t0 = performance.now();
  const it = new BatchIterator(runFind(new CollectionSource(c), {})[Symbol.iterator]());
  let docs = 0;
  let bytes = 0;
  for (;;) {
    const b = takeBatch(it, BATCH);
    for (const ch of cursorReplyChunks(1n, c.ns, 'nextBatch', b.docs)) bytes += ch.length;
    docs += b.docs.length;
    if (b.exhausted) break;
  }
  return { docs, bytes, ms: performance.now() - t0 };
}

async function restartAll(t: TestCluster): Promise<{ ms: number; maxStallMs: number }> {
  await t.cluster.close();
  // Free the closed cluster first (run with NODE_OPTIONS=--expose-gc), so its collection is not timed as the restart's.
  global.gc?.();
  const { value: ms, maxStallMs } = await withStallProbe(async () => {
    const t0 = performance.now();
    await t.reopen();
    await Promise.all(IDS.map((id) => t.cluster.startMember(id, hostFor(id))));
    const c = await connect(t, '0');
    try {
      await waitFor(() => primaryElected(c), 60_000);
    } finally {
      await c.close();
    }
    return performance.now() - t0;
  });
  return { ms, maxStallMs };
}

function stats(t: TestCluster): string {
  const s = (t.cluster as JujuDbClusterImpl).shared.stats;
  return `blocks read ${s.blocksRead} (${mib(s.bytesRead)} MiB), shared ${s.blocksShared}, written ${s.blocksWritten}, linked ${s.blocksLinked}, runs reused ${s.runsReused}`;
}

async function main(): Promise<void> {
  line(`juju-db benchmark: MongoDB ${PROFILE} profile, ~${TARGET_MB} MB, ${ROUNDS} rounds, dump batchSize ${BATCH}, pid ${process.pid}`);
  const t0 = performance.now();
  const t = await makeCluster({ electionTimeoutMillis: 1000, profile: PROFILE });
  await startReplicaSet(t, IDS);
  line(`cold create (3 members, initiate, primary elected): ${(performance.now() - t0).toFixed(0)} ms`);
  try {
    let client = await connect(t, '0');
    line(`client: MongoDB ${client.server.version}, ${client.server.protocol} client, ${client.server.authMechanism}`);
    const s0 = performance.now();
    const seeded = await seed(client);
    const seedMs = performance.now() - s0;
    line(`seed: ${seeded.settings} settings docs + ${seeded.small} small docs, ~${mib(seeded.bytes)} MiB in ${(seedMs / 1000).toFixed(1)} s (${(seeded.bytes / MB / (seedMs / 1000)).toFixed(0)} MiB/s)`);
    const sec = await connect(t, '2');
    await waitFor(async () => (await count(sec, 'juju', 'units')) === seeded.small, 120_000, 200);
    await sec.close();
    line(`replicated to all members ${((performance.now() - s0) / 1000).toFixed(1)} s after seeding began`);
    global.gc?.();
    const m = process.memoryUsage();
    line(`memory after seeding (cluster + client in this process): rss ${mib(m.rss)} MiB, heap ${mib(m.heapUsed)} MiB, external+arrayBuffers ${mib(m.external)} MiB`);
    await client.close();

    const restarts: number[] = [];
    const stalls: number[] = [];
    for (let r = 0; r < Math.max(2, ROUNDS - 1); r++) {
      const { ms, maxStallMs } = await restartAll(t);
      restarts.push(ms);
      stalls.push(maxStallMs);
      line(`restart #${r + 1} of 3 members until a primary: ${ms.toFixed(0)} ms, longest event-loop stall ${maxStallMs.toFixed(0)} ms; ${stats(t)}`);
    }
    global.gc?.();
    const m2 = process.memoryUsage();
    line(`memory after restart: rss ${mib(m2.rss)} MiB, heap ${mib(m2.heapUsed)} MiB, external ${mib(m2.external)} MiB`);

    client = await connect(t, '0');
    for (const coll of ['units', 'settings']) {
      const rates: number[] = [];
      const mbs: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const f = await fullFind(client, coll);
        rates.push(f.docs / (f.ms / 1000));
        mbs.push(f.bytes / MB / (f.ms / 1000));
        line(`find ${coll} #${r + 1}: ${f.docs} docs, ${mib(f.bytes)} MiB in ${f.ms.toFixed(0)} ms, ~${Math.max(0, Math.ceil(f.docs / BATCH) - 1)} getMores`);
      }
      line(`find ${coll} (raw, batchSize ${BATCH}): ${range(rates, 'docs/s')}; ${range(mbs, 'MiB/s')}`);
      const srates: number[] = [];
      const smbs: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const f = serverSideFind(t, coll);
        srates.push(f.docs / (f.ms / 1000));
        smbs.push(f.bytes / MB / (f.ms / 1000));
      }
      line(`server side only, find ${coll}: ${range(srates, 'docs/s')}; ${range(smbs, 'MiB/s')} of reply BSON`);
    }

    // A write during a dump reaches the oplog after the dump's start.
    const oplog = { db: 'local', collection: 'oplog.rs' };
    const startTs = (await client.findOne(oplog, {}, { sort: { $natural: -1 } }))!.ts as unknown;
    const dumping = fullFind(client, 'units');
    await client.insert({ db: 'juju', collection: 'presence' }, [{ _id: 'during-dump', at: new Date() }]);
    await dumping;
    const during = await count(client, 'local', 'oplog.rs', { ts: { $gt: startTs }, ns: 'juju.presence' });
    line(`write during a dump: ${during === 1 ? 'in the oplog after the start timestamp' : `MISSING (${during})`}`);

    // GridFS as a backup stores and reads its archive.
    const bucket = { client, db: 'backups', bucketName: 'archives' };
    const piece = randomBytes(MB);
    const up0 = performance.now();
    const upload = new GridFsArchiveUpload({ bucket, filename: 'bench.tar.gz', metadata: { backupId: `bench-${new ObjectId().toHexString()}` } });
    for (let i = 0; i < GRIDFS_MB; i++) await upload.write(piece);
    await upload.end();
    const upMs = performance.now() - up0;
    const file = (await findFileByName(bucket, 'bench.tar.gz'))!;
    const down: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const d0 = performance.now();
      let n = 0;
      for await (const c of openDownloadStream(bucket, file)) n += (c as Buffer).length;
      if (n !== GRIDFS_MB * MB) throw new Error(`GridFS download returned ${n} bytes`);
      down.push(GRIDFS_MB / ((performance.now() - d0) / 1000));
    }
    line(`GridFS ${GRIDFS_MB} MiB: upload ${(GRIDFS_MB / (upMs / 1000)).toFixed(0)} MiB/s, download ${range(down, 'MiB/s')}`);
    await client.close();
    line(`restart range: ${range(restarts, 'ms')}; event-loop stalls ${range(stalls, 'ms')}`);
  } finally {
    if (values.keep) {
      await t.cluster.close();
      line(`data kept in ${t.dataDir}`);
    } else {
      await t.dispose();
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
