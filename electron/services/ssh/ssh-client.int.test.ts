import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import ssh2, { type ServerChannel } from 'ssh2';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import type { RemoteCommand } from '../../../shared/remote-commands';
import { fingerprintOf, hashHostName, knownHostName } from './known-hosts';
import { KnownHostsStore } from './known-hosts-store';
import { loadPrivateKey } from './private-key';
import { SshClient } from './ssh-client';
import { SSH_PORT_HINT } from './ssh-errors';
import { generateKeyPair, TestSshServer } from './test-ssh-server';

const BIG = 40 * 1024 * 1024;
const SECRET = 'hunter2-very-secret-password';

let dir: string;
let clientKey: ReturnType<typeof ssh2.utils.generateKeyPairSync>;
let keyFile: string;
let server: TestSshServer;
/** What the server side observed, per test. */
const seen = { written: 0, stdin: Buffer.alloc(0), aborted: false };

function publicBlob(openSshPublic: string): Buffer {
  const parsed = ssh2.utils.parseKey(openSshPublic);
  if (parsed instanceof Error) throw parsed;
  return (Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH();
}

/** Writes `total` bytes of a deterministic pattern, honouring the channel's backpressure. */
async function writeBig(channel: ServerChannel, total: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
  let sent = 0;
  let closed = false;
  channel.once('close', () => {
    closed = true;
    seen.aborted = sent < total;
  });
  while (sent < total) {
    if (closed || !channel.writable) return;
    const ok = channel.write(chunk);
    sent += chunk.length;
    seen.written = sent;
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          channel.off('drain', done);
          channel.off('close', done);
          resolve();
        };
        channel.on('drain', done);
        channel.on('close', done);
      });
    }
  }
  channel.exit(0);
  channel.end();
}

async function handle(command: RemoteCommand, channel: ServerChannel): Promise<void> {
  switch (command.kind) {
    case 'read-file':
      if (command.path === '/big') return writeBig(channel, BIG);
      if (command.path === '/fail') {
        channel.stderr.write(`cat: /fail: Permission denied (password ${SECRET})\n`);
        channel.exit(1);
        channel.end();
        return;
      }
      channel.write(`contents of ${command.path}\n`);
      channel.exit(0);
      channel.end();
      return;
    case 'write-file': {
      const chunks: Buffer[] = [];
      channel.on('data', (c: Buffer) => chunks.push(c));
      await once(channel, 'end');
      seen.stdin = Buffer.concat(chunks);
      channel.exit(0);
      channel.end();
      return;
    }
    default:
      channel.exit(0);
      channel.end();
  }
}

function peer(port: number, file = keyFile) {
  return { address: '10.23.0.10', host: '127.0.0.1', port, username: 'ubuntu', keyFile: file };
}

async function connect(options: { store?: KnownHostsStore; vouched?: string | null; file?: string; passphrase?: string } = {}) {
  const file = options.file ?? keyFile;
  return SshClient.connect({
    peer: peer(server.port, file),
    privateKey: await loadPrivateKey(file, options.passphrase),
    knownHosts: options.store ?? new KnownHostsStore(path.join(dir, 'known_hosts')),
    vouchedFingerprint: options.vouched ?? null,
    secrets: registry,
  });
}

async function expectError(promise: Promise<unknown>): Promise<QuorumError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(QuorumError);
    return error as QuorumError;
  }
  throw new Error('expected a rejection');
}

const registry = new SecretRegistry();
registry.add(SECRET);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-ssh-'));
  clientKey = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 });
  keyFile = path.join(dir, 'id_rsa');
  await fs.writeFile(keyFile, clientKey.private, { mode: 0o600 });
  server = new TestSshServer({ authorizedKey: clientKey.public, exec: handle });
  await server.listen();
});

afterAll(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await fs.rm(path.join(dir, 'known_hosts'), { force: true });
});

describe('host keys', () => {
  it('refuses an unknown key with host-key-unknown carrying the fingerprint, and writes nothing', async () => {
    const error = await expectError(connect());
    const expected = fingerprintOf(publicBlob(server.hostKey.public));
    expect(error.code).toBe('host-key-unknown');
    expect(error.details).toMatchObject({ host: '127.0.0.1', port: server.port, fingerprint: expected, keyType: 'ssh-ed25519' });
    expect(error.message).toContain(expected);
    await expect(fs.stat(path.join(dir, 'known_hosts'))).rejects.toThrow();
  });

  it('trusts a vouched key on first sight and records it in OpenSSH format', async () => {
    const fp = fingerprintOf(publicBlob(server.hostKey.public));
    const ssh = await connect({ vouched: fp });
    expect(ssh.hostFingerprint).toBe(fp);
    await ssh.close();
    const text = await fs.readFile(path.join(dir, 'known_hosts'), 'utf8');
    const blob = publicBlob(server.hostKey.public).toString('base64');
    expect(text).toBe(`${knownHostName('127.0.0.1', server.port)} ssh-ed25519 ${blob}\n`);
    expect((await fs.stat(path.join(dir, 'known_hosts'))).mode & 0o777).toBe(0o600);
    // Known now: a second connection needs no vouching.
    await (await connect()).close();
  });

  it('does not trust a key that differs from the vouched fingerprint', async () => {
    const error = await expectError(connect({ vouched: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }));
    expect(error.code).toBe('host-key-unknown');
  });

  it('accepts a hashed known_hosts entry', async () => {
    const blob = publicBlob(server.hostKey.public);
    const hashed = hashHostName(knownHostName('127.0.0.1', server.port), randomBytes(20));
    await fs.writeFile(path.join(dir, 'known_hosts'), `${hashed} ssh-ed25519 ${blob.toString('base64')}\n`);
    await (await connect()).close();
  });

  it('refuses a changed key, even when vouched, showing both fingerprints and what to do', async () => {
    const oldFp = fingerprintOf(publicBlob(server.hostKey.public));
    await (await connect({ vouched: oldFp })).close();
    server.rotateHostKey();
    const newFp = fingerprintOf(publicBlob(server.hostKey.public));
    const error = await expectError(connect({ vouched: newFp }));
    expect(error.code).toBe('host-key-changed');
    expect(error.message).toContain(oldFp);
    expect(error.message).toContain(newFp);
    expect(error.message).toContain(path.join(dir, 'known_hosts'));
    expect(error.message).toMatch(/someone may be intercepting/);
    expect(error.details).toMatchObject({ knownFingerprint: oldFp, fingerprint: newFp });
  });

  it('survives a connection that drops while its host key is still being checked', async () => {
    // A machine power-cycled during the handshake: the verdict on its (changed) key arrives after the
    // socket closed, and answering ssh2 then threw inside its torn-down protocol and crashed the process.
    const oldFp = fingerprintOf(publicBlob(server.hostKey.public));
    await (await connect({ vouched: oldFp })).close();
    server.rotateHostKey();
    class DroppingStore extends KnownHostsStore {
      override async check(host: string, port: number, key: Buffer) {
        server.dropAll();
        await new Promise((r) => setTimeout(r, 200));
        return super.check(host, port, key);
      }
    }
    const error = await expectError(connect({ store: new DroppingStore(path.join(dir, 'known_hosts')) }));
    expect(error.message).toContain('10.23.0.10');
    // Still alive, and the next attempt gets the verdict.
    expect((await expectError(connect())).code).toBe('host-key-changed');
  });
});

describe('authentication', () => {
  it('reports a refused key as ssh-auth-failed naming the key file and user', async () => {
    const other = generateKeyPair('ed25519');
    const otherFile = path.join(dir, 'other_key');
    await fs.writeFile(otherFile, other.private, { mode: 0o600 });
    const fp = fingerprintOf(publicBlob(server.hostKey.public));
    const error = await expectError(connect({ file: otherFile, vouched: fp }));
    expect(error.code).toBe('ssh-auth-failed');
    expect(error.message).toContain(otherFile);
    expect(error.message).toContain('ubuntu');
  });

  it('asks for the passphrase of an encrypted key, then connects with it', async () => {
    const passphrase = 'correct horse battery';
    const encrypted = generateKeyPair('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 4 });
    const encFile = path.join(dir, 'enc_key');
    await fs.writeFile(encFile, encrypted.private, { mode: 0o600 });
    const missing = await expectError(loadPrivateKey(encFile));
    expect(missing.code).toBe('passphrase-required');
    expect(missing.details).toMatchObject({ keyFile: encFile, wrongPassphrase: false });
    const wrong = await expectError(loadPrivateKey(encFile, 'nope'));
    expect(wrong.code).toBe('passphrase-required');
    expect(wrong.details).toMatchObject({ wrongPassphrase: true });
    expect(wrong.message).not.toContain('nope');

    const encServer = new TestSshServer({ authorizedKey: encrypted.public, exec: handle });
    await encServer.listen();
    try {
      const ssh = await SshClient.connect({
        peer: peer(encServer.port, encFile),
        privateKey: await loadPrivateKey(encFile, passphrase),
        knownHosts: new KnownHostsStore(path.join(dir, 'known_hosts')),
        vouchedFingerprint: fingerprintOf(publicBlob(encServer.hostKey.public)),
        secrets: registry,
      });
      expect((await ssh.run({ kind: 'read-file', path: '/etc/hostname' })).toString()).toBe('contents of /etc/hostname\n');
      await ssh.close();
    } finally {
      await encServer.close();
    }
  });

  it('reports a refused connection as host-unreachable with the address and endpoint', async () => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const error = await expectError(
      SshClient.connect({
        peer: peer(port),
        privateKey: await loadPrivateKey(keyFile),
        knownHosts: new KnownHostsStore(path.join(dir, 'known_hosts')),
        secrets: registry,
      }),
    );
    expect(error.code).toBe('host-unreachable');
    expect(error.message).toBe(
      `Could not reach 10.23.0.10 (127.0.0.1:${port}) over SSH: connection refused. Check the machine is running and its SSH server listens on port ${port}, then retry. ${SSH_PORT_HINT}`,
    );
  });
});

describe('exec', () => {
  let ssh: SshClient;
  beforeAll(async () => {
    await fs.rm(path.join(dir, 'known_hosts'), { force: true });
    ssh = await connect({ vouched: fingerprintOf(publicBlob(server.hostKey.public)) });
  });
  afterAll(async () => {
    await ssh.close();
  });

  it('streams tens of MB with backpressure reaching the remote side', async () => {
    seen.written = 0;
    const { stdout, exit } = await ssh.exec({ kind: 'read-file', path: '/big' });
    const hash = createHash('sha256');
    let read = 0;
    let maxAhead = 0;
    await pipeline(
      stdout,
      new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) {
          read += chunk.length;
          hash.update(chunk);
          maxAhead = Math.max(maxAhead, seen.written - read);
          // A slow consumer for the first 2 MiB.
          if (read < 2 * 1024 * 1024) setTimeout(cb, 5);
          else cb();
        },
      }),
    );
    expect(read).toBe(BIG);
    await expect(exit).resolves.toMatchObject({ code: 0 });
    const expected = createHash('sha256');
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
    for (let i = 0; i < BIG / chunk.length; i++) expected.update(chunk);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    // The remote writer never ran more than the SSH window and stream buffers ahead of the reader.
    expect(maxAhead).toBeLessThan(8 * 1024 * 1024);
  });

  it('cancels a running command: exit rejects with cancelled and the channel closes', async () => {
    seen.aborted = false;
    const controller = new AbortController();
    const { stdout, exit } = await ssh.exec({ kind: 'read-file', path: '/big' }, { signal: controller.signal });
    let read = 0;
    const done = pipeline(
      stdout,
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          read += chunk.length;
          if (read > 1024 * 1024) controller.abort();
          cb();
        },
      }),
    );
    await expect(done).rejects.toMatchObject({ code: 'cancelled' });
    await expect(exit).rejects.toMatchObject({ code: 'cancelled' });
    await expect.poll(() => server.openChannels, { timeout: 5_000 }).toBe(0);
    expect(seen.aborted).toBe(true);
    expect(read).toBeLessThan(BIG);
  });

  it('never misses an exit status that arrives with the channel confirmation (many small runs, no Nagle)', async () => {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      expect((await ssh.run({ kind: 'read-file', path: `/etc/f${i}` })).toString()).toBe(`contents of /etc/f${i}\n`);
    }
    // Small exchanges must not wait on Nagle and delayed ACKs (~40 ms each).
    expect((performance.now() - t0) / 100).toBeLessThan(20);
  });

  it('sends stdin and ends it', async () => {
    const content = randomBytes(300_000);
    await ssh.run({ kind: 'write-file', path: '/var/lib/juju/x', mode: 0o600 }, { stdin: Readable.from([content]) });
    expect(seen.stdin.equals(content)).toBe(true);
  });

  it('run() throws remote-command-failed with a redacted stderr excerpt', async () => {
    const error = await expectError(ssh.run({ kind: 'read-file', path: '/fail' }));
    expect(error.code).toBe('remote-command-failed');
    expect(error.message).toContain('Permission denied');
    expect(error.message).toContain('/fail');
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
  });

  it('errors a streaming stdout when the command fails, so a reader never takes it as complete', async () => {
    const { stdout, exit } = await ssh.exec({ kind: 'read-file', path: '/fail' });
    await expect(pipeline(stdout, new Writable({ write: (_c, _e, cb) => cb() }))).rejects.toMatchObject({ code: 'remote-command-failed' });
    await expect(exit).resolves.toMatchObject({ code: 1 });
  });

  it('run() refuses output over its cap', async () => {
    const error = await expectError(ssh.run({ kind: 'read-file', path: '/big' }, { maxBytes: 1024 * 1024 }));
    expect(error.code).toBe('remote-command-failed');
    expect(error.message).toMatch(/larger than/);
  });

  it('tunnels to a local TCP service with forwardOut', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    try {
      const channel = await ssh.forwardOut('127.0.0.1', (echo.address() as net.AddressInfo).port);
      channel.write('ping');
      const [data] = (await once(channel, 'data')) as [Buffer];
      expect(data.toString()).toBe('ping');
      channel.end();
    } finally {
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });

  it('reports a dropped connection as host-unreachable on close and on a pending exec', async () => {
    const other = await connect({ vouched: fingerprintOf(publicBlob(server.hostKey.public)) });
    const closed = once(other, 'close') as Promise<[QuorumError | null]>;
    const { stdout, exit } = await other.exec({ kind: 'read-file', path: '/big' });
    stdout.resume();
    await once(stdout, 'data');
    server.dropAll();
    const [error] = await closed;
    expect(error?.code).toBe('host-unreachable');
    await expect(exit).rejects.toMatchObject({ code: 'host-unreachable' });
    await expect(other.exec({ kind: 'read-file', path: '/x' })).rejects.toMatchObject({ code: 'host-unreachable' });
    // The shared client above was cut too; reconnect it for any later test.
    ssh = await connect({ vouched: fingerprintOf(publicBlob(server.hostKey.public)) });
  });
});
