import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDfAvailable, renderRemoteCommand, type RemoteCommand } from '../../../shared/remote-commands';
import { newEnvironmentRecord } from '../environment';
import { createHostKey, fingerprintSha256, generateEd25519KeyPair, readKeyPair } from '../keys';
import { SandboxLayout } from '../layout';
import { SSH_USER, machineTag, type EnvironmentRecord } from '../model';
import { createEnvironmentKeys, type EnvironmentKeys } from '../secrets';
import { EchoMember } from '../testing/echo-member';
import { connectSsh, type TestSsh } from '../testing/ssh-client';
import { parseAgentConf } from '../tree/agent-conf';
import { buildMachineTree, unitsOn } from '../tree/build-tree';
import { ConfinedFs } from './confined-fs';
import { MachineServices } from './services';
import { SshHost } from './ssh-host';

/**
 * The SSH hosts on real trees over real SSH sessions (ssh2 client against
 * ssh2 server), with an echoing stand-in for juju-db: commands, confinement,
 * tar streams, auth and forwarding.
 */

let home: string;
let layout: SandboxLayout;
let env: EnvironmentRecord;
let keys: EnvironmentKeys;
let privateKey: string;
const hosts = new Map<string, SshHost>();
const members = new Map<string, EchoMember>();

const cmd = (c: RemoteCommand) => renderRemoteCommand(c);

async function startHost(id: string): Promise<SshHost> {
  const m = env.machines.find((x) => x.id === id)!;
  const hostKey = await readKeyPair(layout.hostKeyFile(id));
  const member = members.get(id);
  const services = new MachineServices(
    [`jujud-${machineTag(id)}`, ...unitsOn(env, id).map((u) => `jujud-unit-${u.name.replace('/', '-')}`)],
    member
      ? {
          isRunning: () => member.status === 'running',
          start: async () => void (member.status = 'running'),
          stop: async () => void (member.status = 'stopped'),
        }
      : undefined,
  );
  const host = new SshHost({
    machineId: id,
    hostKey: hostKey.privateKey,
    authorizedKey: keys.environmentPublicKey,
    user: SSH_USER,
    commands: { fs: new ConfinedFs(layout.machineRoot(id)), services },
    jujuDb: () => member,
  });
  m.sshPort = await host.listen(0);
  hosts.set(id, host);
  return host;
}

async function ssh(id: string): Promise<TestSsh> {
  return connectSsh(hosts.get(id)!.port, privateKey);
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-hosts-'));
  layout = new SandboxLayout(home);
  env = newEnvironmentRecord(0);
  keys = await createEnvironmentKeys(layout, env);
  privateKey = await fs.readFile(layout.privateKeyFile, 'utf8');
  for (const m of env.machines.filter((x) => ['0', '3'].includes(x.id))) {
    await buildMachineTree(layout.machineRoot(m.id), env, m, keys);
    await createHostKey(layout.hostKeyFile(m.id), m.id);
  }
  members.set('0', new EchoMember('0', '10.23.0.10:37017'));
  await startHost('0');
  await startHost('3');
});

afterAll(async () => {
  for (const h of hosts.values()) await h.close();
  await fs.rm(home, { recursive: true, force: true });
});

describe('sandbox SSH hosts', () => {
  it('keeps the environment key 0600 and accepts it for ubuntu only', async () => {
    expect((await fs.stat(layout.privateKeyFile)).mode & 0o777).toBe(0o600);
    expect(privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
    const s = await ssh('0');
    const r = await s.exec(cmd({ kind: 'read-file', path: '/var/lib/juju/nonce.txt' }));
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('user-admin:bootstrap\n');
    s.end();
    await expect(connectSsh(hosts.get('0')!.port, privateKey, { user: 'root' })).rejects.toThrow(/authentication/i);
  });

  it('refuses a wrong client key', async () => {
    const other = generateEd25519KeyPair('someone-else');
    await expect(connectSsh(hosts.get('0')!.port, other.private)).rejects.toThrow(/authentication/i);
  });

  it('presents the same host key after a restart of the host', async () => {
    const s1 = await ssh('3');
    const fp = s1.hostFingerprint;
    s1.end();
    expect(fp).toBe(fingerprintSha256(await fs.readFile(`${layout.hostKeyFile('3')}.pub`, 'utf8')));
    await hosts.get('3')!.close();
    await expect(connectSsh(env.machines[3]!.sshPort, privateKey)).rejects.toThrow(/ECONNREFUSED/);
    await startHost('3');
    const s2 = await connectSsh(hosts.get('3')!.port, privateKey, { expectFingerprint: fp });
    expect(s2.hostFingerprint).toBe(fp);
    s2.end();
  });

  it('answers anything outside the remote command set with exit 127 and a message', async () => {
    const s = await ssh('0');
    for (const line of ['ls /', 'sudo -n cat -- /etc/../etc/passwd', 'cat /var/lib/juju/nonce.txt; id', 'sudo -n service apache2 start']) {
      const r = await s.exec(line);
      expect(r.code, line).toBe(127);
      expect(r.stderr, line).toMatch(/not found/);
      expect(r.stdout.length).toBe(0);
    }
    s.end();
  });

  it('reads files and reports missing ones like cat', async () => {
    const s = await ssh('0');
    const conf = await s.exec(cmd({ kind: 'read-file', path: '/var/lib/juju/agents/machine-0/agent.conf' }));
    expect(conf.code).toBe(0);
    const parsed = parseAgentConf(conf.stdout.toString());
    expect(parsed.tag).toBe('machine-0');
    expect(parsed.jobs).toEqual(['JobManageEnviron', 'JobHostUnits']);
    const missing = await s.exec(cmd({ kind: 'read-file', path: '/var/lib/juju/nope' }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('cat: /var/lib/juju/nope: No such file or directory\n');
    s.end();
  });

  it('refuses paths that escape the tree through symlinks', async () => {
    const root = layout.machineRoot('0');
    const outside = path.join(home, 'outside-secret');
    await fs.writeFile(outside, 'host secret');
    await fs.symlink(outside, path.join(root, 'var/lib/juju/evil-file'));
    await fs.symlink(home, path.join(root, 'var/lib/juju/evil-dir'));
    await fs.symlink('../../../../..', path.join(root, 'var/lib/juju/evil-rel'));
    const s = await ssh('0');
    for (const p of ['/var/lib/juju/evil-file', '/var/lib/juju/evil-dir/outside-secret', `/var/lib/juju/evil-rel${home}/outside-secret`]) {
      const r = await s.exec(cmd({ kind: 'read-file', path: p }));
      expect(r.code, p).toBe(1);
      expect(r.stderr, p).toMatch(/outside the machine's filesystem/);
      expect(r.stdout.toString()).not.toContain('host secret');
    }
    const w = await s.exec(cmd({ kind: 'write-file', path: '/var/lib/juju/evil-dir/planted', mode: 0o644 }), Buffer.from('x'));
    expect(w.code).toBe(1);
    await expect(fs.stat(path.join(home, 'planted'))).rejects.toThrow();
    // Writing over the escaping link replaces the link inside the tree, never the file it pointed to.
    const over = await s.exec(cmd({ kind: 'write-file', path: '/var/lib/juju/evil-file', mode: 0o600 }), Buffer.from('replaced'));
    expect(over.code).toBe(0);
    expect(await fs.readFile(outside, 'utf8')).toBe('host secret');
    const tarOut = await s.exec(cmd({ kind: 'tar-out', paths: ['/var/lib/juju/evil-dir/outside-secret'] }));
    expect(tarOut.code).not.toBe(0);
    expect(tarOut.stdout.toString()).not.toContain('host secret');
    const g = await s.exec(cmd({ kind: 'glob', pattern: '/var/lib/juju/evil-*' }));
    expect(g.stdout.toString()).toBe('/var/lib/juju/evil-file\n');
    s.end();
    for (const l of ['evil-file', 'evil-dir', 'evil-rel']) await fs.rm(path.join(root, 'var/lib/juju', l));
  });

  it('writes files atomically with the requested mode', async () => {
    const s = await ssh('0');
    const body = Buffer.from('# format 1.18\ntag: machine-0\n'.repeat(1000));
    const r = await s.exec(cmd({ kind: 'write-file', path: '/var/lib/juju/agents/machine-0/agent.conf.new', mode: 0o600 }), body);
    expect(r.code).toBe(0);
    const file = path.join(layout.machineRoot('0'), 'var/lib/juju/agents/machine-0/agent.conf.new');
    expect(await fs.readFile(file)).toEqual(body);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const leftovers = (await fs.readdir(path.dirname(file))).filter((f) => f.startsWith('.quorum-write'));
    expect(leftovers).toEqual([]);
    const noDir = await s.exec(cmd({ kind: 'write-file', path: '/no/such/dir/file', mode: 0o644 }), Buffer.from('x'));
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toMatch(/No such file or directory/);
    s.end();
  });

  it('globs inside the tree and prints absolute paths', async () => {
    const s = await ssh('3');
    const agents = await s.exec(cmd({ kind: 'glob', pattern: '/var/lib/juju/agents/*' }));
    expect(agents.code).toBe(0);
    const units = unitsOn(env, '3').map((u) => `/var/lib/juju/agents/unit-${u.name.replace('/', '-')}`);
    expect(agents.stdout.toString().trim().split('\n')).toEqual(['/var/lib/juju/agents/machine-3', ...units].sort());
    const rsyslog = await s.exec(cmd({ kind: 'glob', pattern: '/etc/rsyslog.d/*juju.conf' }));
    expect(rsyslog.stdout.toString()).toBe('/etc/rsyslog.d/25-juju.conf\n');
    const none = await s.exec(cmd({ kind: 'glob', pattern: '/var/lib/juju/agents/machine-9*' }));
    expect(none.code).toBe(0);
    expect(none.stdout.length).toBe(0);
    s.end();
  });

  it('reports free space in df -P -B1 format from the real filesystem', async () => {
    const s = await ssh('0');
    const r = await s.exec(cmd({ kind: 'free-space', path: '/var/lib/juju' }));
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines[0]).toMatch(/^Filesystem\s+1-blocks\s+Used\s+Available\s+Capacity\s+Mounted on$/);
    const st = await fs.statfs(layout.machineRoot('0'));
    const avail = parseDfAvailable(r.stdout.toString());
    expect(Math.abs(avail - st.bavail * st.bsize)).toBeLessThan(256 * 1024 * 1024);
    const missing = await s.exec(cmd({ kind: 'free-space', path: '/nope' }));
    expect(missing.code).toBe(1);
    s.end();
  });

  it('streams a tree out and back in byte for byte', async () => {
    const src = await ssh('0');
    const paths = ['/var/lib/juju/tools', '/var/lib/juju/agents/machine-0', '/var/lib/juju/server.pem', '/var/lib/juju/missing-file'];
    const out = await src.exec(cmd({ kind: 'tar-out', paths }));
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/missing-file.*Cannot stat/);
    src.end();
    const names: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const parser = new tar.Parser({ onReadEntry: (e) => { names.push(e.path); e.resume(); } });
      parser.on('end', resolve).on('error', reject);
      parser.end(out.stdout);
    });
    expect(names).toContain('var/lib/juju/server.pem');
    expect(names).toContain('var/lib/juju/tools/machine-0');
    expect(names.every((n) => !n.startsWith('/'))).toBe(true);

    // Into machine 3, which has none of these files.
    const dst = await ssh('3');
    const inn = await dst.exec(cmd({ kind: 'tar-in' }), out.stdout);
    expect(inn.stderr).toBe('');
    expect(inn.code).toBe(0);
    dst.end();
    const a = layout.machineRoot('0');
    const b = layout.machineRoot('3');
    for (const rel of ['var/lib/juju/server.pem', 'var/lib/juju/agents/machine-0/agent.conf', 'var/lib/juju/tools/1.25.6-trusty-amd64/jujud']) {
      const [x, y] = await Promise.all([fs.readFile(path.join(a, rel)), fs.readFile(path.join(b, rel))]);
      expect(createHash('sha256').update(y).digest('hex'), rel).toBe(createHash('sha256').update(x).digest('hex'));
      expect((await fs.stat(path.join(b, rel))).mode & 0o777, rel).toBe((await fs.stat(path.join(a, rel))).mode & 0o777);
    }
    expect(await fs.readlink(path.join(b, 'var/lib/juju/tools/machine-0'))).toBe('1.25.6-trusty-amd64');
  });

  it('extracts nothing outside the tree from a hostile archive', async () => {
    const stage = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-hostile-'));
    const entries: Buffer[] = [];
    const header = (name: string, type: '0' | '2' | '5', body = '', linkpath = '') => {
      const h = new tar.Header({ path: name, mode: 0o644, size: type === '0' ? Buffer.byteLength(body) : 0, type: type === '0' ? 'File' : type === '2' ? 'SymbolicLink' : 'Directory', linkpath, mtime: new Date() });
      const block = Buffer.alloc(512);
      h.encode(block, 0);
      entries.push(block);
      if (type === '0') {
        const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
        data.write(body);
        entries.push(data);
      }
    };
    header(`${stage}/absolute-escape`, '0', 'abs');
    header('../../../../../../../../tmp/dotdot-escape', '0', 'dotdot');
    header('var/lib/juju/link-out', '2', '', stage);
    header('var/lib/juju/link-out/through-link', '0', 'through');
    entries.push(Buffer.alloc(1024));
    const s = await ssh('3');
    const r = await s.exec(cmd({ kind: 'tar-in' }), Buffer.concat(entries));
    s.end();
    expect(r.code).toBe(2);
    expect(await fs.readdir(stage)).toEqual([]);
    await expect(fs.stat('/tmp/dotdot-escape')).rejects.toThrow();
    // The absolute member landed inside the tree, relative to its root.
    expect(await fs.readFile(path.join(layout.machineRoot('3'), stage, 'absolute-escape'), 'utf8')).toBe('abs');
    await fs.rm(stage, { recursive: true, force: true });
  });

  it('controls juju-db and agents with upstart wording', async () => {
    const s = await ssh('0');
    const run = (service: string, action: 'start' | 'stop' | 'status') =>
      s.exec(cmd({ kind: 'service', service: service as 'juju-db', action }));
    expect((await run('juju-db', 'status')).stdout.toString()).toMatch(/^juju-db start\/running, process \d+\n$/);
    const stop = await run('juju-db', 'stop');
    expect(stop.code).toBe(0);
    expect(stop.stdout.toString()).toBe('juju-db stop/waiting\n');
    expect(members.get('0')!.status).toBe('stopped');
    expect((await run('juju-db', 'stop')).code).toBe(1);
    const start = await run('juju-db', 'start');
    expect(start.stdout.toString()).toMatch(/^juju-db start\/running, process \d+\n$/);
    expect((await run('jujud-machine-0', 'stop')).stdout.toString()).toBe('jujud-machine-0 stop/waiting\n');
    expect((await run('jujud-machine-0', 'status')).stdout.toString()).toBe('jujud-machine-0 stop/waiting\n');
    expect((await run('jujud-machine-0', 'start')).code).toBe(0);
    const other = await run('jujud-machine-3', 'status');
    expect(other.code).toBe(1);
    expect(other.stderr).toBe('jujud-machine-3: unrecognized service\n');
    s.end();
    const w = await ssh('3');
    const noDb = await w.exec(cmd({ kind: 'service', service: 'juju-db', action: 'status' }));
    expect(noDb.code).toBe(1);
    const unit = unitsOn(env, '3')[0]!;
    const u = await w.exec(cmd({ kind: 'service', service: `jujud-unit-${unit.name.replace('/', '-')}`, action: 'status' }));
    expect(u.stdout.toString()).toMatch(/start\/running/);
    w.end();
  });

  it('forwards direct-tcpip to 127.0.0.1:37017 to the member and rejects other destinations', async () => {
    const s = await ssh('0');
    const t = await s.tunnel('127.0.0.1', 37017);
    const sock = net.connect(t.port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write('ping');
    const [data] = (await once(sock, 'data')) as [Buffer];
    expect(data.toString()).toBe('ping');
    sock.destroy();
    await t.close();
    const refused = await new Promise<Error | undefined>((resolve) => s.client.forwardOut('127.0.0.1', 0, '127.0.0.1', 22, (err) => resolve(err)));
    expect(refused).toBeInstanceOf(Error);
    const elsewhere = await new Promise<Error | undefined>((resolve) => s.client.forwardOut('127.0.0.1', 0, '10.0.0.1', 37017, (err) => resolve(err)));
    expect(elsewhere).toBeInstanceOf(Error);
    s.end();
    // A machine without juju-db has nothing on 37017.
    const w = await ssh('3');
    const none = await new Promise<Error | undefined>((resolve) => w.client.forwardOut('127.0.0.1', 0, '127.0.0.1', 37017, (err) => resolve(err)));
    expect(none).toBeInstanceOf(Error);
    w.end();
  });

  it('refuses shells and sftp', async () => {
    const s = await ssh('0');
    const shellErr = await new Promise<Error | undefined>((resolve) => s.client.shell((err) => resolve(err)));
    expect(shellErr).toBeInstanceOf(Error);
    const sftpErr = await new Promise<Error | undefined>((resolve) => s.client.sftp((err) => resolve(err)));
    expect(sftpErr).toBeInstanceOf(Error);
    s.end();
  });

  it('drops sessions and refuses connections when closed (powered off)', async () => {
    const s = await ssh('3');
    const closed = once(s.client, 'close');
    await hosts.get('3')!.close();
    await closed;
    await expect(connectSsh(env.machines[3]!.sshPort, privateKey)).rejects.toThrow(/ECONNREFUSED/);
    await startHost('3');
  });

  it('streams stdin to tar-in from a stream without buffering it', async () => {
    const s = await ssh('3');
    const pack = tar.c({ cwd: layout.machineRoot('0') }, ['var/log/juju']);
    const r = await s.exec(cmd({ kind: 'tar-in' }), Readable.from(pack));
    expect(r.code).toBe(0);
    expect(await fs.readFile(path.join(layout.machineRoot('3'), 'var/log/juju/all-machines.log'), 'utf8')).toContain('machine-0:');
    s.end();
  });
});
