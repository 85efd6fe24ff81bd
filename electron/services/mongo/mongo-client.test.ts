import { beforeEach, describe, expect, it, vi } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { JujuDbNetworkError, JujuDbServerError, JujuDbTimeoutError, JujuDbUnsupportedServerError, type JujuDbClient } from './juju-db-client';
import { translateMongoError } from './mongo-errors';

/**
 * Which implementation `connectJujuDb` picks from the handshake, how it
 * refuses a server older than 2.4, and how the interface's own error classes
 * (whichever implementation threw them) become operator-facing errors. The
 * handshake and both implementations are stand-ins here: their wire
 * behaviour has its own tests.
 */

const legacy = vi.hoisted(() => ({
  handshake: vi.fn(),
  openLegacyJujuDb: vi.fn(),
}));
const driver = vi.hoisted(() => ({ createDriverJujuDb: vi.fn() }));
vi.mock('./legacy/index', () => legacy);
vi.mock('./driver-client', () => driver);

const { connectJujuDb, isSupportedMongoVersion, parseMongoVersion } = await import('./mongo-client');

const ctx = { address: '10.23.0.10', user: 'machine-0' };
const PASSWORD = 'Zq8s0Wm3kP1vX7yB2nC5dE6f';
const options = { port: 40_001, user: 'machine-0', password: PASSWORD, caPem: 'PEM' };

function secrets(): SecretRegistry {
  const s = new SecretRegistry();
  s.add(PASSWORD);
  return s;
}

function fakeHandshake(version: string, maxWireVersion: number) {
  return { isMaster: { ismaster: true }, version, maxWireVersion, close: vi.fn() };
}

const client = { server: { version: 'x' } } as unknown as JujuDbClient;

beforeEach(() => {
  vi.clearAllMocks();
  legacy.openLegacyJujuDb.mockResolvedValue(client);
  driver.createDriverJujuDb.mockResolvedValue(client);
});

describe('parseMongoVersion / isSupportedMongoVersion', () => {
  it('splits versions, pre-release suffixes and missing parts included', () => {
    expect(parseMongoVersion('2.4.9')).toEqual([2, 4, 9]);
    expect(parseMongoVersion('6.0.19')).toEqual([6, 0, 19]);
    expect(parseMongoVersion('4.2.0-rc1')).toEqual([4, 2, 0]);
    expect(parseMongoVersion('3.6')).toEqual([3, 6, 0]);
    expect(parseMongoVersion('')).toEqual([0, 0, 0]);
    expect(parseMongoVersion('junk')).toEqual([0, 0, 0]);
  });

  it('supports 2.4 (Juju 1.25) and later, refuses anything older', () => {
    for (const v of ['2.4.0', '2.4.9', '2.6.12', '3.0.15', '3.6.23', '4.2.24', '4.4.29', '6.0.19', '8.0.4', '10.0.0']) expect(isSupportedMongoVersion(v)).toBe(true);
    for (const v of ['2.2.7', '2.0.9', '1.8.5', '2.3.2']) expect(isSupportedMongoVersion(v)).toBe(false);
    // buildInfo refused: the wire version decides on its own.
    expect(isSupportedMongoVersion('')).toBe(true);
  });
});

describe('connectJujuDb picks the implementation from the handshake', () => {
  it('uses the legacy client for MongoDB 2.4 (no maxWireVersion), reusing the handshake', async () => {
    const found = fakeHandshake('2.4.9', 0);
    legacy.handshake.mockResolvedValue(found);
    expect(await connectJujuDb(options, ctx, secrets())).toBe(client);
    expect(legacy.openLegacyJujuDb).toHaveBeenCalledWith(options, found);
    expect(driver.createDriverJujuDb).not.toHaveBeenCalled();
    expect(found.close).not.toHaveBeenCalled();
  });

  it('uses the legacy client up to 4.2 (wire 8) and the official driver from 4.4 (wire 9), closing the handshake', async () => {
    const old = fakeHandshake('4.2.24', 8);
    legacy.handshake.mockResolvedValueOnce(old);
    await connectJujuDb(options, ctx, secrets());
    expect(legacy.openLegacyJujuDb).toHaveBeenCalledTimes(1);
    const modern = fakeHandshake('4.4.29', 9);
    legacy.handshake.mockResolvedValueOnce(modern);
    await connectJujuDb(options, ctx, secrets());
    expect(driver.createDriverJujuDb).toHaveBeenCalledWith(options, modern);
    expect(modern.close).toHaveBeenCalled();
    expect(legacy.openLegacyJujuDb).toHaveBeenCalledTimes(1);
  });

  it('refuses a server older than 2.4 with mongo-unsupported naming the version found and the ones supported', async () => {
    const found = fakeHandshake('2.2.7', 0);
    legacy.handshake.mockResolvedValue(found);
    const error = await connectJujuDb(options, ctx, secrets()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuorumError);
    expect((error as QuorumError).code).toBe('mongo-unsupported');
    expect((error as QuorumError).message).toContain('MongoDB 2.2.7');
    expect((error as QuorumError).message).toContain('MongoDB 2.4');
    expect((error as QuorumError).message).toContain('10.23.0.10');
    expect((error as QuorumError).details).toMatchObject({ found: '2.2.7' });
    expect(found.close).toHaveBeenCalled();
    expect(legacy.openLegacyJujuDb).not.toHaveBeenCalled();
  });

  it('translates what the handshake or authentication throws, leaking no password', async () => {
    legacy.handshake.mockResolvedValue(fakeHandshake('2.4.9', 0));
    legacy.openLegacyJujuDb.mockRejectedValue(new JujuDbServerError(`auth fails for ${PASSWORD}`, 0, { ok: 0, errmsg: 'auth fails' }));
    const auth = (await connectJujuDb(options, ctx, secrets()).catch((e: unknown) => e)) as QuorumError;
    expect(auth.code).toBe('mongo-auth-failed');
    expect(JSON.stringify(auth.toJSON())).not.toContain(PASSWORD);
    legacy.handshake.mockRejectedValue(new JujuDbTimeoutError('no reply to isMaster', 5_000));
    expect(((await connectJujuDb(options, ctx, secrets()).catch((e: unknown) => e)) as QuorumError).code).toBe('mongo-unavailable');
  });
});

describe('translateMongoError: the interface\'s error classes', () => {
  it('maps code 18 and 2.4\'s MONGODB-CR "auth fails" (no code) to mongo-auth-failed', () => {
    const scram = translateMongoError(new JujuDbServerError('Authentication failed.', 18, { ok: 0, code: 18, errmsg: 'Authentication failed.' }, 'AuthenticationFailed'), ctx, secrets());
    expect(scram.code).toBe('mongo-auth-failed');
    expect(scram.message).toContain('machine-0');
    const cr = translateMongoError(new JujuDbServerError('auth fails', 0, { ok: 0, errmsg: 'auth fails' }), ctx, secrets());
    expect(cr.code).toBe('mongo-auth-failed');
    expect(cr.message).toContain('10.23.0.10');
  });

  it('maps JujuDbUnsupportedServerError to mongo-unsupported with the version found', () => {
    const qe = translateMongoError(new JujuDbUnsupportedServerError('too old', '2.2.7'), ctx, secrets());
    expect(qe.code).toBe('mongo-unsupported');
    expect(qe.message).toContain('MongoDB 2.2.7');
    expect(qe.message).toMatch(/supports .*2\.4/);
    const wire = translateMongoError(new JujuDbUnsupportedServerError('unknown', 'wire version 0'), ctx, secrets());
    expect(wire.message).toContain('wire version 0');
  });

  it('maps JujuDbTimeoutError to mongo-unavailable saying how long it waited', () => {
    const qe = translateMongoError(new JujuDbTimeoutError('no reply to find within 30000 ms', 30_000), ctx, secrets());
    expect(qe.code).toBe('mongo-unavailable');
    expect(qe.message).toContain('did not answer within 30 s');
    expect(qe.details?.raw).toContain('no reply to find within 30000 ms');
    // A timeout whose duration the driver did not say still reads as unavailable.
    expect(translateMongoError(new JujuDbTimeoutError('timed out', 0), ctx, secrets()).code).toBe('mongo-unavailable');
  });

  it('maps JujuDbNetworkError to mongo-unavailable, and a certificate failure under it to tls-failed', () => {
    const qe = translateMongoError(new JujuDbNetworkError('connection to juju-db at 127.0.0.1:40001 closed by the server'), ctx, secrets());
    expect(qe.code).toBe('mongo-unavailable');
    expect(qe.message).toContain('closed the connection');
    expect(qe.details?.raw).toContain('closed by the server');
    const cert = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(translateMongoError(new JujuDbNetworkError('TLS handshake failed', { cause: cert }), ctx, secrets()).code).toBe('tls-failed');
  });

  it('maps 2.4\'s "not master" answers (no code or its own codes) to mongo-unavailable, not-primary', () => {
    for (const error of [new JujuDbServerError('not master', 10058, { ok: 0, errmsg: 'not master', code: 10058 }), new JujuDbServerError('not master and slaveOk=false', 13435, { ok: 0 })]) {
      const qe = translateMongoError(error, ctx, secrets());
      expect(qe.code).toBe('mongo-unavailable');
      expect(qe.details).toMatchObject({ reason: 'not-primary' });
    }
  });

  it('keeps any other server answer as internal, with its code', () => {
    const qe = translateMongoError(new JujuDbServerError('no such cmd: replSetGetConfig', 59, { ok: 0 }, 'CommandNotFound'), ctx, secrets());
    expect(qe.code).toBe('internal');
    expect(qe.message).toContain('code 59 CommandNotFound');
  });
});
