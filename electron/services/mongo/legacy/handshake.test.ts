import { afterEach, describe, expect, it } from 'vitest';
import { JujuDbNetworkError, JujuDbTimeoutError } from '../juju-db-client';
import { otherCaPem, startFakeServer, type FakeServer } from './fake-legacy-server';
import { handshake, LegacyHandshake } from './handshake';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('handshake', () => {
  it('sends isMaster and buildInfo by OP_QUERY on admin.$cmd and keeps the connection', async () => {
    server = await startFakeServer(undefined, { version: '2.4.9' });
    const h = await handshake({ port: server.port, user: 'machine-0', password: 'x', caPem: server.caPem, appName: 'quorum-test' });
    expect(h.version).toBe('2.4.9');
    expect(h.maxWireVersion).toBe(0);
    expect(h.isMaster['ismaster']).toBe(true);
    expect(server.requests.map((r) => [r.opCode, r.namespace, r.numberToReturn, Object.keys(r.query)[0]])).toEqual([
      [2004, 'admin.$cmd', -1, 'isMaster'],
      [2004, 'admin.$cmd', -1, 'buildInfo'],
    ]);
    expect(server.requests[0]!.query['client']).toMatchObject({ application: { name: 'quorum-test' } });
    expect(server.requests[0]!.flags & 4).toBe(4);
    const connection = (h as LegacyHandshake).takeConnection();
    expect(connection?.alive).toBe(true);
    expect((h as LegacyHandshake).takeConnection()).toBeUndefined();
    connection?.destroy('test done');
  });

  it('reads maxWireVersion, and leaves version empty when buildInfo fails', async () => {
    server = await startFakeServer((r) => (r.query['buildInfo'] ? { documents: [{ ok: 0, errmsg: 'unauthorized' }] } : undefined), { maxWireVersion: 6 });
    const h = await handshake({ port: server.port, user: 'u', password: 'x', caPem: server.caPem });
    expect(h.maxWireVersion).toBe(6);
    expect(h.version).toBe('');
    h.close();
    await expect.poll(() => server!.stats.closedByClient).toBe(1);
  });

  it('times out when the server never answers isMaster, within connectTimeoutMs', async () => {
    server = await startFakeServer(() => 'silent');
    const started = Date.now();
    await expect(handshake({ port: server.port, user: 'u', password: 'x', caPem: server.caPem, connectTimeoutMs: 300 })).rejects.toBeInstanceOf(JujuDbTimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
    await expect.poll(() => server!.stats.closedByClient).toBe(1);
  });

  it('says the connection was refused', async () => {
    server = await startFakeServer();
    const port = server.port;
    const caPem = server.caPem;
    await server.close();
    server = undefined;
    const refused = await handshake({ port, user: 'u', password: 'x', caPem }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(JujuDbNetworkError);
    expect((refused as Error).message).toMatch(/refused/);
  });

  it('fails the TLS handshake when the certificate does not lead to the environment CA, keeping Node\'s reason', async () => {
    server = await startFakeServer();
    const error = await handshake({ port: server.port, user: 'u', password: 'x', caPem: otherCaPem() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JujuDbNetworkError);
    expect((error as Error).message).toMatch(/TLS handshake .* failed: .*certificate/i);
    expect((error as Error & { cause: { code: string } }).cause.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    expect(server.requests).toEqual([]);
  });
});
