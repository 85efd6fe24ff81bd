import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../../../shared/redact';
import { parseDiskUsage, parseRestoreProbe, type RemoteCommand } from '../../../../shared/remote-commands';
import { OPLOG_ENTRY } from '../../../services/archive/juju-archive';
import { dumpToArchive, type DumpSink } from '../../../services/backups/dump';
import { ConnectionManager } from '../../../services/connection/connection-manager';
import type { StateServerSession } from '../../../services/connection/state-server-session';
import { targetForSandbox } from '../../../services/environments/targets';
import { createMemoryLogger } from '../../../services/log';
import type { JujuDbClient } from '../../../services/mongo/juju-db-client';
import { startSandbox, type Sandbox } from '../../sandbox';
import type { JujuDbProfile } from '../api';

/**
 * The sandbox's offline mongorestore, end to end over SSH as a restore runs
 * it on a state server: dump the sandbox's juju-db with Quorum's dump (the
 * 2.4 mongodump flavour on the 2.4 profile, the Go one on 6.0), upload and
 * extract the archive, stop juju-db, recreate /var/lib/juju/db, mongorestore
 * with and without --oplogReplay, start juju-db, re-initiate a one-member
 * set and read the documents back through Quorum's JujuDbClient; a corrupt
 * dump fails clearly and leaves the data as it was.
 */

const STAGE = '/var/tmp/quorum-restore';
const DUMP = `${STAGE}/juju-backup/dump`;
const items = { db: 'quorumtest', collection: 'items' };
const late = { db: 'quorumtest', collection: 'late' };

/** A dump sink writing files; `beforeOplog` runs just before the oplog is read (writes then land only in oplog.bson). */
function dirSink(root: string, beforeOplog: () => Promise<void>): DumpSink {
  const place = async (name: string): Promise<string> => {
    const file = path.join(root, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    return file;
  };
  return {
    async addBuffer(name, data) {
      await fs.writeFile(await place(name), data);
    },
    async openEntry(name) {
      if (name === OPLOG_ENTRY) await beforeOplog();
      return createWriteStream(await place(name));
    },
  };
}

describe.each(['2.4', '6.0'] as JujuDbProfile[])('sandbox mongorestore (MongoDB %s)', (profile) => {
  let home: string;
  let sandbox: Sandbox;
  let managers: ConnectionManager[] = [];
  let ssh: StateServerSession;
  let address: string;
  let machineCount = 0;
  const secrets = new SecretRegistry();

  async function openSession(): Promise<StateServerSession> {
    const manager = new ConnectionManager({ quorumHome: home, secrets, logger: createMemoryLogger(secrets), backoff: { initialMs: 200, maxMs: 1_000 } });
    managers.push(manager);
    const target = targetForSandbox(sandbox.describe());
    return manager.open(target).stateServer(target.stateServers[0]!.address);
  }

  const run = (cmd: RemoteCommand, stdin?: NodeJS.ReadableStream | string) =>
    ssh.run(cmd, stdin === undefined ? {} : { stdin: stdin as never }).then((b) => b.toString());

  /** Runs a command to its end; stdout lines, exit code and stderr. */
  async function exec(cmd: RemoteCommand): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const handle = await ssh.exec(cmd);
    let stdout = '';
    handle.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exit = await handle.exit;
    return { code: exit.code, stdout, stderr: exit.stderr };
  }

  /** stop juju-db, recreate its dbpath, mongorestore, start juju-db, replSetInitiate; the client on the restored member. */
  async function restore(oplogReplay: boolean, dump = DUMP): Promise<{ lines: string; client: JujuDbClient }> {
    expect(await run({ kind: 'service', service: 'juju-db', action: 'stop' })).toBe('juju-db stop/waiting\n');
    await run({ kind: 'recreate-dirs', dirs: [{ path: '/var/lib/juju/db', mode: 0o700, owner: 'root:root' }] });
    const r = await exec({ kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump, oplogReplay });
    expect(r.code, r.stderr).toBe(0);
    expect(await run({ kind: 'service', service: 'juju-db', action: 'start' })).toMatch(/^juju-db start\/running, process \d+\n$/);
    const client = await (await openSession()).mongo();
    const cfg = { _id: 'juju', version: 1, members: [{ _id: 1, host: `${address}:37017`, tags: { 'juju-machine-id': '0' } }] };
    expect((await client.command('admin', { replSetInitiate: cfg })).ok).toBe(1);
    for (let i = 0; i < 100 && (await client.command('admin', { isMaster: 1 })).ismaster !== true; i++) await new Promise((r2) => setTimeout(r2, 100));
    return { lines: r.stdout, client };
  }

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-mongorestore-'));
    sandbox = await startSandbox({ home, mongo: profile, machines: { stateServers: 1, workloads: 1 }, agents: { enabled: false } });
    address = sandbox.describe().machines.find((m) => m.stateServer)!.address;
    ssh = await openSession();
    const client = await ssh.mongo();
    machineCount = (await client.find({ db: 'juju', collection: 'machines' }).toArray()).length;
    await client.insert(items, [
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
      { _id: 'c', n: 3 },
    ]);
    await client.createIndex(items, { n: 1 }, { name: 'n_1', unique: true });
    // Writes made while the oplog is read: only --oplogReplay brings them back.
    const stage = path.join(home, 'stage');
    await dumpToArchive(
      client,
      dirSink(stage, async () => {
        await client.insert(items, [{ _id: 'late', n: 9 }]);
        await client.update(items, { _id: 'a' }, { $set: { n: 42 } });
        await client.remove(items, { _id: 'b' });
        await client.insert(late, [{ _id: 1, note: 'created during the dump' }]);
      }),
    );
    // Changes after the backup, which the restore must undo.
    await client.insert(items, [{ _id: 'after', n: 100 }]);
    await client.remove(items, { _id: 'c' });
    const archive = path.join(home, 'juju-backup.tgz');
    await tar.c({ gzip: true, cwd: stage, file: archive, portable: true }, ['juju-backup']);
    const data = await fs.readFile(archive);
    await run({ kind: 'make-dir', path: STAGE, mode: 0o700 });
    await run(
      { kind: 'upload-file', path: `${STAGE}/juju-backup.tgz`, mode: 0o600, size: data.length, sha1: createHash('sha1').update(data).digest('hex') },
      createReadStream(archive),
    );
    await run({ kind: 'extract-tar', archive: `${STAGE}/juju-backup.tgz`, dir: STAGE, gzip: true });
  }, 120_000);

  afterAll(async () => {
    for (const m of managers) await m.close();
    managers = [];
    await sandbox?.stop();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it('dumped in the flavour of the profile, and the probe finds the tools', async () => {
    const meta = await fs.readFile(path.join(home, 'stage/juju-backup/dump/quorumtest/items.metadata.json'), 'utf8');
    if (profile === '2.4') expect(meta.startsWith('{indexes:[')).toBe(true);
    else expect(() => JSON.parse(meta) as unknown).not.toThrow();
    const probe = parseRestoreProbe(await run({ kind: 'restore-probe', dataDir: '/var/lib/juju' }));
    // The versioned folder and the agent's symlink to it, as the shell's glob lists them.
    expect(probe.tools).toEqual([
      { path: '/var/lib/juju/tools/1.25.6-trusty-amd64/downloaded-tools.txt', version: '1.25.6-trusty-amd64' },
      { path: '/var/lib/juju/tools/machine-0/downloaded-tools.txt', version: '1.25.6-trusty-amd64' },
    ]);
    expect(probe.mongorestore?.path).toBe('/usr/lib/juju/bin/mongorestore');
    expect(parseDiskUsage(await run({ kind: 'disk-usage', path: STAGE }))).toBeGreaterThan(0);
  });

  it('refuses to run while juju-db runs', async () => {
    const r = await exec({ kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: DUMP, oplogReplay: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Unable to lock file: \/var\/lib\/juju\/db\/mongod.lock/);
    const busy = await exec({ kind: 'recreate-dirs', dirs: [{ path: '/var/lib/juju/db', mode: 0o700, owner: 'root:root' }] });
    expect(busy.code).toBe(1);
  });

  it('restores with --oplogReplay to the end of the dump', async () => {
    const { lines, client } = await restore(true);
    expect(lines).toContain('going into namespace [quorumtest.items]');
    expect(lines).toMatch(/Successfully Replayed \d+ oplog entries/);
    const docs = await client.find(items, {}, { sort: { _id: 1 } }).toArray();
    expect(docs).toEqual([
      { _id: 'a', n: 42 },
      { _id: 'c', n: 3 },
      { _id: 'late', n: 9 },
    ]);
    expect(await client.findOne(late, { _id: 1 })).toEqual({ _id: 1, note: 'created during the dump' });
    expect((await client.find({ db: 'juju', collection: 'machines' }).toArray()).length).toBe(machineCount);
    expect((await client.listIndexes(items)).map((i) => i.name)).toContain('n_1');
    await expect(client.insert(items, [{ _id: 'dup', n: 3 }])).rejects.toThrow(/duplicate key|E11000/);
    const status = await client.command('admin', { replSetGetStatus: 1 });
    expect(status.set).toBe('juju');
    expect((status.members as unknown[]).length).toBe(1);
  }, 60_000);

  it('restores without --oplogReplay to the start of the dump', async () => {
    const { lines, client } = await restore(false);
    expect(lines).not.toMatch(/Replayed/);
    const docs = await client.find(items, {}, { sort: { _id: 1 } }).toArray();
    expect(docs).toEqual([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
      { _id: 'c', n: 3 },
    ]);
    expect(await client.findOne(late, {})).toBeNull();
  }, 60_000);

  it('fails clearly on a corrupt dump and leaves the data as it was', async () => {
    const tree = sandbox.layout.machineRoot('0');
    const good = path.join(tree, DUMP.slice(1));
    for (const [name, damage] of [
      ['truncated', (b: Buffer) => b.subarray(0, b.length - 3)],
      ['bad-length', (b: Buffer) => Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0x7f]), b.subarray(4)])],
    ] as const) {
      const bad = path.join(tree, `${STAGE.slice(1)}/${name}`);
      await fs.cp(good, bad, { recursive: true });
      const file = path.join(bad, 'quorumtest/items.bson');
      await fs.writeFile(file, damage(await fs.readFile(file)));
      await run({ kind: 'service', service: 'juju-db', action: 'stop' });
      const r = await exec({ kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: `${STAGE}/${name}`, oplogReplay: true });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(name === 'truncated' ? /items\.bson: file truncated/ : /items\.bson: bad object size: 2147483647 at offset 0/);
      await run({ kind: 'service', service: 'juju-db', action: 'start' });
      const client = await (await openSession()).mongo();
      for (let i = 0; i < 100 && (await client.command('admin', { isMaster: 1 })).ismaster !== true; i++) await new Promise((r2) => setTimeout(r2, 100));
      expect((await client.find(items, {}, { sort: { _id: 1 } }).toArray()).map((d) => d._id)).toEqual(['a', 'b', 'c']);
    }
    await run({ kind: 'remove-staging', path: STAGE });
    expect(await exec({ kind: 'disk-usage', path: STAGE }).then((r) => r.code)).toBe(1);
  }, 60_000);
});
