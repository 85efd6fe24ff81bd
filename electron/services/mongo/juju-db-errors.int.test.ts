import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { createCertificateAuthority } from '../../sandbox/pki';
import { connectJujuDb } from './mongo-client';
import { MongoTunnel } from './tunnel';

/**
 * What the operator reads when the thing on juju-db's port misbehaves, over
 * real sockets and the real tunnel: a server that accepts and never speaks
 * ("did not answer within N s"), and one that speaks something other than
 * TLS ("TLS handshake failed"). Both keep the client's raw words as detail.
 * (Port closed behind a real SSH server: juju-db-down.int.test.ts against
 * the sandbox, and openssh.int.test.ts against OpenSSH.)
 */

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
const tunnels: MongoTunnel[] = [];
const secrets = new SecretRegistry();
const PASSWORD = 'kXq93LmPzR7wVt2sNb5d';
secrets.add(PASSWORD);
const ca = createCertificateAuthority('juju-errors-test');

afterEach(async () => {
  for (const t of tunnels.splice(0)) await t.close();
  for (const s of sockets) s.destroy();
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

async function serve(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** juju-db "on the machine" at `port`, reached through the tunnel as Quorum does. */
async function connectThroughTunnel(port: number): Promise<QuorumError> {
  const tunnel = await MongoTunnel.open(async () => {
    const s = net.connect({ host: '127.0.0.1', port });
    await once(s, 'connect');
    return s;
  });
  tunnels.push(tunnel);
  const error = await connectJujuDb(
    { host: '127.0.0.1', port: tunnel.port, user: 'machine-2', password: PASSWORD, caPem: ca.certPem, connectTimeoutMs: 1_500 },
    { address: '10.23.0.12', user: 'machine-2', machineId: '2', channelFailure: () => tunnel.lastOpenFailure },
    secrets,
  ).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QuorumError);
  return error as QuorumError;
}

describe('juju-db errors over real sockets', () => {
  it('a server that accepts and never speaks: no answer within 2 s', async () => {
    const port = await serve(() => undefined);
    const started = Date.now();
    const qe = await connectThroughTunnel(port);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(qe.code).toBe('mongo-unavailable');
    expect(qe.message).toContain('juju-db on machine 2 (10.23.0.12) did not answer within 2 s');
    expect(qe.details).toMatchObject({ reason: 'no-answer', timeoutMs: '1500' });
    expect(String(qe.details?.raw)).toMatch(/timed out after 1500 ms/);
    expect(JSON.stringify(qe.toJSON())).not.toContain(PASSWORD);
  }, 10_000);

  it('a server that speaks something else: the TLS handshake failed, saying what to check', async () => {
    const port = await serve((socket) => socket.end('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n'));
    const qe = await connectThroughTunnel(port);
    expect(qe.code).toBe('tls-failed');
    expect(qe.message).toContain('The TLS handshake with juju-db on machine 2 (10.23.0.12) failed');
    expect(qe.message).toContain('sudo ss -tlnp | grep 37017');
    expect(qe.details).toMatchObject({ reason: 'tls-handshake-failed' });
    expect(String(qe.details?.raw)).not.toBe('');
  }, 10_000);
});
