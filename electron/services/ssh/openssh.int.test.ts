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
import { parseDfAvailable } from '../../../shared/remote-commands';
import { fingerprintOf } from './known-hosts';
import { KnownHostsStore } from './known-hosts-store';
import { loadPrivateKey } from './private-key';
import { SshClient } from './ssh-client';

/**
 * The remote command set against a real OpenSSH server: sshd on 127.0.0.1
 * with its own ed25519 host key, a throwaway user with passwordless sudo
 * and an RSA key, and files only root can read. What works here works on
 * an Ubuntu state server. Needs root, `openssh-server` and `sudo`.
 */

const run = promisify(execFile);
const USER = 'quorum-ssh-test';
const SUDOERS = `/etc/sudoers.d/${USER}`;

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
});
