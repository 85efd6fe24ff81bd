import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import * as tar from 'tar';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { createHash } from 'node:crypto';
import { MONGORESTORE_PATH, parseDfAvailable, parseDiskUsage, parseRestoreProbe } from '../../../shared/remote-commands';
import { fingerprintOf } from './known-hosts';
import { KnownHostsStore } from './known-hosts-store';
import { loadPrivateKey } from './private-key';
import { SshClient } from './ssh-client';
import { connectJujuDb } from '../mongo/mongo-client';
import { MongoTunnel } from '../mongo/tunnel';

/**
 * The remote command set against a real OpenSSH server: sshd on 127.0.0.1
 * with its own ed25519 host key, a throwaway user with passwordless sudo
 * and an RSA key, and files only root can read. What works here works on
 * an Ubuntu state server. Needs root, `openssh-server` and `sudo`.
 */

const run = promisify(execFile);
const USER = 'quorum-ssh-test';
const SUDOERS = `/etc/sudoers.d/${USER}`;
/**
 * No mongod or mongorestore exists on this machine, so a stub stands in for
 * Juju's `/usr/lib/juju/bin/mongorestore`: it records its arguments and
 * prints progress lines, proving the exact command line Juju's restore runs.
 * Installed only where nothing is (removed afterwards with what it created).
 */
const STUB_DIR = path.dirname(MONGORESTORE_PATH);
let stubCreated: string | null = null;

let dir: string;
let sshd: ChildProcess;
let port: number;
let keyFile: string;
let hostFingerprint: string;
let ssh: SshClient;
const secrets = new SecretRegistry();

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function waitForPort(p: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(p, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`sshd did not listen on ${p}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (it creates a user and a sudoers entry)');
  await fs.access('/usr/sbin/sshd').catch(() => {
    throw new Error('sshd is missing: apt-get install -y openssh-server sudo');
  });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-openssh-'));
  await fs.chmod(dir, 0o755);

  await run('userdel', ['-r', USER]).catch(() => undefined);
  await run('useradd', ['-m', '-s', '/bin/sh', USER]);
  await run('usermod', ['-p', '*', USER]); // unlocked, but no password login
  await fs.writeFile(SUDOERS, `${USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });

  const client = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048, comment: 'quorum-test' });
  keyFile = path.join(dir, 'id_rsa');
  await fs.writeFile(keyFile, client.private, { mode: 0o600 });
  const home = `/home/${USER}`;
  await fs.mkdir(`${home}/.ssh`, { recursive: true, mode: 0o700 });
  await fs.writeFile(`${home}/.ssh/authorized_keys`, `${client.public}\n`, { mode: 0o600 });
  await run('chown', ['-R', `${USER}:${USER}`, `${home}/.ssh`]);

  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  // OpenSSH's own idea of the fingerprint, to compare with ours.
  const { stdout } = await run('ssh-keygen', ['-lf', `${hostKey}.pub`]);
  hostFingerprint = stdout.split(' ')[1]!;

  port = await freePort();
  const config = path.join(dir, 'sshd_config');
  await fs.writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'AuthorizedKeysFile .ssh/authorized_keys',
      `AllowUsers ${USER}`,
      'StrictModes no',
      '',
    ].join('\n'),
  );
  await fs.mkdir('/run/sshd', { recursive: true });
  sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  await waitForPort(port).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: ${log}`);
  });

  // Files only root may read, in Juju's layout under the test directory.
  const agent = path.join(dir, 'tree/var/lib/juju/agents/machine-7');
  await fs.mkdir(agent, { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(agent, 'agent.conf'), '# format 1.18\ntag: machine-7\n', { mode: 0o600 });
  await fs.mkdir(path.join(dir, 'tree/var/lib/juju/tools/1.25.6-trusty-amd64'), { recursive: true });
  await fs.writeFile(path.join(dir, 'tree/var/lib/juju/tools/1.25.6-trusty-amd64/jujud'), Buffer.alloc(200_000, 7), { mode: 0o755 });
  await fs.symlink('1.25.6-trusty-amd64', path.join(dir, 'tree/var/lib/juju/tools/machine-7'));
});

afterAll(async () => {
  await ssh?.close();
  if (stubCreated) await fs.rm(stubCreated, { recursive: true, force: true });
  if (sshd && sshd.exitCode === null) {
    sshd.kill('SIGTERM');
    await once(sshd, 'exit');
  }
  await fs.rm(SUDOERS, { force: true });
  await run('userdel', ['-r', USER]).catch(() => undefined);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function connect(vouched: string | null): Promise<SshClient> {
  return loadPrivateKey(keyFile).then((privateKey) =>
    SshClient.connect({
      peer: { address: '10.0.0.7', host: '127.0.0.1', port, username: USER, keyFile },
      privateKey,
      knownHosts: new KnownHostsStore(path.join(dir, 'known_hosts')),
      vouchedFingerprint: vouched,
      secrets,
    }),
  );
}

describe('remote command set against OpenSSH', () => {
  it('reports the ed25519 host key with the fingerprint ssh-keygen prints, then trusts it', async () => {
    const error = await connect(null).catch((e: unknown) => e as QuorumError);
    expect(error).toBeInstanceOf(QuorumError);
    expect((error as QuorumError).code).toBe('host-key-unknown');
    expect((error as QuorumError).details).toMatchObject({ fingerprint: hostFingerprint, keyType: 'ssh-ed25519', port });
    ssh = await connect(hostFingerprint);
    expect(ssh.hostFingerprint).toBe(hostFingerprint);
    // What we wrote is what OpenSSH itself reads: ssh-keygen finds the host in our file.
    const { stdout } = await run('ssh-keygen', ['-F', `[127.0.0.1]:${port}`, '-f', path.join(dir, 'known_hosts')]);
    expect(stdout).toContain('ssh-ed25519');
    expect(fingerprintOf(Buffer.from(stdout.trim().split('\n').pop()!.split(' ')[2]!, 'base64'))).toBe(hostFingerprint);
  });

  it('read-file reads a root-only file through sudo', async () => {
    const file = path.join(dir, 'tree/var/lib/juju/agents/machine-7/agent.conf');
    expect((await ssh.run({ kind: 'read-file', path: file })).toString()).toBe('# format 1.18\ntag: machine-7\n');
    const missing = await ssh.run({ kind: 'read-file', path: path.join(dir, 'nope') }).catch((e: unknown) => e as QuorumError);
    expect((missing as QuorumError).code).toBe('remote-command-failed');
    expect((missing as QuorumError).message).toMatch(/No such file/);
  });

  it('glob lists matching paths and nothing for no match', async () => {
    const out = (await ssh.run({ kind: 'glob', pattern: path.join(dir, 'tree/var/lib/juju/agents/machine-*/agent.conf') })).toString();
    expect(out).toBe(`${path.join(dir, 'tree/var/lib/juju/agents/machine-7/agent.conf')}\n`);
    expect((await ssh.run({ kind: 'glob', pattern: path.join(dir, 'tree/none-*') })).toString()).toBe('');
  });

  it('free-space answers df -P -B1', async () => {
    const available = parseDfAvailable((await ssh.run({ kind: 'free-space', path: dir })).toString());
    expect(available).toBeGreaterThan(0);
  });

  it('a forward to a closed port (juju-db down) reads as "port closed" on the machine, with OpenSSH\'s refusal as detail', async () => {
    const closedPort = await freePort();
    const tunnel = await MongoTunnel.open(() => ssh.forwardOut('127.0.0.1', closedPort));
    try {
      const error = await connectJujuDb(
        { host: '127.0.0.1', port: tunnel.port, user: 'machine-7', password: 'not-used-here', caPem: '', connectTimeoutMs: 3_000 },
        { address: '10.0.0.7', user: 'machine-7', machineId: '7', channelFailure: () => tunnel.lastOpenFailure },
        secrets,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QuorumError);
      const qe = error as QuorumError;
      expect(qe.details).toMatchObject({ reason: 'port-closed' });
      expect(qe.message).toContain("juju-db's port is closed on machine 7 (10.0.0.7)");
      expect(qe.message).toContain('sudo service juju-db status');
      expect(String(qe.details?.raw)).toMatch(/Channel open failure/);
    } finally {
      await tunnel.close();
    }
  });

  it('tar-out streams a tree with names relative to /, links kept', async () => {
    const root = path.join(dir, 'tree/var/lib/juju');
    const { stdout, exit } = await ssh.exec({ kind: 'tar-out', paths: [path.join(root, 'agents'), path.join(root, 'tools'), path.join(root, 'missing')] });
    const entries = new Map<string, { type: string; size: number; linkpath?: string }>();
    await pipeline(
      stdout,
      new tar.Parser({
        onReadEntry: (entry) => {
          entries.set(entry.path, { type: entry.type, size: entry.size ?? 0, linkpath: entry.linkpath });
          entry.resume();
        },
      }),
    );
    expect((await exit).code).toBe(0);
    const rel = root.replace(/^\//, '');
    expect(entries.get(`${rel}/agents/machine-7/agent.conf`)).toMatchObject({ type: 'File', size: 29 });
    expect(entries.get(`${rel}/tools/1.25.6-trusty-amd64/jujud`)).toMatchObject({ type: 'File', size: 200_000 });
    expect(entries.get(`${rel}/tools/machine-7`)).toMatchObject({ type: 'SymbolicLink', linkpath: '1.25.6-trusty-amd64' });
  });

  it('write-file replaces a file atomically with the given mode, as root', async () => {
    const target = path.join(dir, 'tree/var/lib/juju/agents/machine-7/agent.conf');
    await ssh.run({ kind: 'write-file', path: target, mode: 0o600 }, { stdin: '# format 1.18\ntag: machine-7\nnonce: x\n' });
    expect(await fs.readFile(target, 'utf8')).toBe('# format 1.18\ntag: machine-7\nnonce: x\n');
    const st = await fs.stat(target);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(0);
    expect((await fs.readdir(path.dirname(target))).filter((f) => f.startsWith('.quorum-write'))).toEqual([]);
  });

  it('tar-in extracts a stream under / keeping modes', async () => {
    const src = path.join(dir, 'src');
    const rel = path.join(dir, 'restored').replace(/^\//, '');
    await fs.mkdir(path.join(src, rel), { recursive: true });
    await fs.writeFile(path.join(src, rel, 'server.pem'), 'PEM', { mode: 0o600 });
    const archive = tar.create({ cwd: src, portable: false }, [rel]) as unknown as Readable;
    await ssh.run({ kind: 'tar-in' }, { stdin: Readable.from(archive) });
    const restored = path.join(dir, 'restored/server.pem');
    expect(await fs.readFile(restored, 'utf8')).toBe('PEM');
    expect((await fs.stat(restored)).mode & 0o777).toBe(0o600);
  });

  it('upload-file writes the exact bytes atomically, and refuses a short or different stream', async () => {
    const target = path.join(dir, 'upload/juju-backup.tgz');
    await fs.mkdir(path.dirname(target));
    const data = Buffer.alloc(300_000, 3);
    const sha1 = createHash('sha1').update(data).digest('hex');
    await ssh.run({ kind: 'upload-file', path: target, mode: 0o600, size: data.length, sha1 }, { stdin: data });
    expect((await fs.readFile(target)).equals(data)).toBe(true);
    expect((await fs.stat(target)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(target)).uid).toBe(0);
    const short = await ssh
      .run({ kind: 'upload-file', path: `${target}.2`, mode: 0o600, size: data.length, sha1 }, { stdin: data.subarray(1) })
      .catch((e: unknown) => e as QuorumError);
    expect((short as QuorumError).code).toBe('remote-command-failed');
    expect((short as QuorumError).message).toContain(`received ${data.length - 1} bytes, expected ${data.length}`);
    const other = await ssh
      .run({ kind: 'upload-file', path: `${target}.3`, mode: 0o600, size: data.length, sha1: '0'.repeat(40) }, { stdin: data })
      .catch((e: unknown) => e as QuorumError);
    expect((other as QuorumError).message).toContain(`SHA-1 ${sha1}, expected ${'0'.repeat(40)}`);
    expect(await fs.readdir(path.dirname(target))).toEqual(['juju-backup.tgz']);
  });

  it('make-dir, extract-tar (gzip and plain), disk-usage and remove-staging', async () => {
    const stage = path.join(dir, 'quorum-stage');
    await ssh.run({ kind: 'make-dir', path: stage, mode: 0o700 });
    expect((await fs.stat(stage)).mode & 0o777).toBe(0o700);
    const src = path.join(dir, 'archive-src');
    await fs.mkdir(path.join(src, 'juju-backup/dump/juju'), { recursive: true });
    await fs.writeFile(path.join(src, 'juju-backup/dump/juju/machines.bson'), Buffer.alloc(5000, 1));
    await fs.mkdir(path.join(src, 'root/var/lib/juju'), { recursive: true });
    await fs.writeFile(path.join(src, 'root/var/lib/juju/server.pem'), 'PEM', { mode: 0o600 });
    await tar.c({ gzip: true, cwd: src, file: path.join(dir, 'b.tgz') }, ['juju-backup']);
    await tar.c({ cwd: path.join(src, 'root'), file: path.join(stage, 'root.tar'), portable: false }, ['var']);
    await ssh.run({ kind: 'extract-tar', archive: path.join(dir, 'b.tgz'), dir: stage, gzip: true });
    expect((await fs.stat(path.join(stage, 'juju-backup/dump/juju/machines.bson'))).size).toBe(5000);
    const into = path.join(dir, 'root-target');
    await fs.mkdir(into);
    await ssh.run({ kind: 'extract-tar', archive: path.join(stage, 'root.tar'), dir: into, gzip: false });
    expect((await fs.stat(path.join(into, 'var/lib/juju/server.pem'))).mode & 0o777).toBe(0o600);
    const notGzip = await ssh.run({ kind: 'extract-tar', archive: path.join(stage, 'root.tar'), dir: into, gzip: true }).catch((e: unknown) => e as QuorumError);
    expect((notGzip as QuorumError).code).toBe('remote-command-failed');
    expect(parseDiskUsage((await ssh.run({ kind: 'disk-usage', path: stage })).toString())).toBeGreaterThanOrEqual(5000);
    await ssh.run({ kind: 'remove-staging', path: stage });
    await expect(fs.stat(stage)).rejects.toThrow(/ENOENT/);
  });

  it('mongorestore runs Juju mongorestore with its arguments per version, streaming its output (stub binary)', async () => {
    const exists = await fs.stat(MONGORESTORE_PATH).catch(() => null);
    if (exists) throw new Error(`${MONGORESTORE_PATH} exists on this machine; this test only runs where it can install a stub`);
    let top = STUB_DIR;
    while (!(await fs.stat(path.dirname(top)).catch(() => null))) top = path.dirname(top);
    if (!(await fs.stat(top).catch(() => null))) stubCreated = top;
    await fs.mkdir(STUB_DIR, { recursive: true });
    const argvFile = path.join(dir, 'mongorestore.argv');
    await fs.writeFile(
      MONGORESTORE_PATH,
      `#!/bin/sh\nif [ "$1" = --version ]; then echo "mongorestore version 2.4.9"; exit 0; fi\nprintf '%s\\n' "$(id -u)" "$@" > ${argvFile}\necho "going into namespace [juju.machines]"\necho "3 objects found"\n`,
      { mode: 0o755 },
    );
    for (const oplogReplay of [true, false]) {
      const { stdout, exit } = await ssh.exec({ kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: path.join(dir, 'dump'), oplogReplay });
      let out = '';
      stdout.on('data', (c: Buffer) => (out += c.toString()));
      expect((await exit).code).toBe(0);
      expect(out).toBe('going into namespace [juju.machines]\n3 objects found\n');
      const argv = (await fs.readFile(argvFile, 'utf8')).trim().split('\n');
      expect(argv).toEqual(['0', '--drop', '--journal', ...(oplogReplay ? ['--oplogReplay'] : []), '--dbpath', '/var/lib/juju/db', path.join(dir, 'dump')]);
    }
    await fs.writeFile(path.join(dir, 'tree/var/lib/juju/tools/1.25.6-trusty-amd64/downloaded-tools.txt'), '{"version":"1.25.6-trusty-amd64","size":200000}\n');
    const probe = parseRestoreProbe((await ssh.run({ kind: 'restore-probe', dataDir: path.join(dir, 'tree/var/lib/juju') })).toString());
    expect(probe.tools).toEqual([
      { path: path.join(dir, 'tree/var/lib/juju/tools/1.25.6-trusty-amd64/downloaded-tools.txt'), version: '1.25.6-trusty-amd64' },
      { path: path.join(dir, 'tree/var/lib/juju/tools/machine-7/downloaded-tools.txt'), version: '1.25.6-trusty-amd64' },
    ]);
    expect(probe.mongorestore).toEqual({ path: MONGORESTORE_PATH, version: 'mongorestore version 2.4.9' });
  });

  it('recreate-dirs removes Juju folders and makes them again with mode and owner', async () => {
    const lib = path.join(dir, 'tree/var/lib/juju');
    const log = path.join(dir, 'tree/var/log/juju');
    await fs.mkdir(log, { recursive: true });
    await fs.writeFile(path.join(log, 'all-machines.log'), 'x');
    await ssh.run({
      kind: 'recreate-dirs',
      dirs: [
        { path: lib, mode: 0o755, owner: 'root:root' },
        { path: `${lib}/db`, mode: 0o700, owner: 'root:root' },
        { path: log, mode: 0o750, owner: `${USER}:${USER}` },
      ],
    });
    expect((await fs.readdir(lib)).sort()).toEqual(['db']);
    expect((await fs.stat(`${lib}/db`)).mode & 0o777).toBe(0o700);
    expect(await fs.readdir(log)).toEqual([]);
    const st = await fs.stat(log);
    expect(st.mode & 0o777).toBe(0o750);
    const { stdout } = await run('id', ['-u', USER]);
    expect(st.uid).toBe(Number(stdout.trim()));
  });
});
