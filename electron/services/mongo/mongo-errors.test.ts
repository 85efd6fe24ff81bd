import { describe, expect, it } from 'vitest';
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { fromDriverError } from './driver-client';
import { JujuDbNetworkError, JujuDbServerError, JujuDbTimeoutError } from './juju-db-client';
import { redactDriverText, translateMongoError } from './mongo-errors';

const ctx = { address: '10.23.0.10', user: 'machine-0' };
const PASSWORD = 'Zq8s0Wm3kP1vX7yB2nC5dE6f';

function secrets(): SecretRegistry {
  const s = new SecretRegistry();
  s.add(PASSWORD);
  return s;
}

/**
 * The driver implementation turns the driver's errors into the interface's
 * (`fromDriverError`) but may let the driver's own through (cursors, pool
 * events): both must translate the same. The interface's own classes are
 * covered in mongo-client.test.ts.
 */
describe('translateMongoError', () => {
  it('maps code 18 to mongo-auth-failed', () => {
    const error = new MongoServerError({ ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' });
    const qe = translateMongoError(error, ctx, secrets());
    expect(qe.code).toBe('mongo-auth-failed');
    expect(qe.message).toContain('10.23.0.10');
    expect(qe.message).toContain('machine-0');
  });

  it('maps certificate errors, even nested under a network error, to tls-failed', () => {
    const cause = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const qe = translateMongoError(new MongoNetworkError('self-signed certificate in certificate chain', { cause }), ctx, secrets());
    expect(qe.code).toBe('tls-failed');
    const altname = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(translateMongoError(new MongoNetworkError('x', { cause: altname }), ctx, secrets()).code).toBe('tls-failed');
  });

  it('maps network and server-selection failures to mongo-unavailable', () => {
    expect(translateMongoError(new MongoNetworkError('connection 1 to 127.0.0.1:40001 closed'), ctx, secrets()).code).toBe('mongo-unavailable');
    const selection = new MongoServerSelectionError('Server selection timed out after 5000 ms', {
      type: 'Single',
      servers: new Map(),
      stale: false,
      compatible: true,
      heartbeatFrequencyMS: 5000,
      localThresholdMS: 15,
      setName: null,
      maxElectionId: null,
      maxSetVersion: null,
      commonWireVersion: 0,
      logicalSessionTimeoutMinutes: null,
    } as never);
    expect(translateMongoError(selection, ctx, secrets()).code).toBe('mongo-unavailable');
  });

  it('finds an auth failure inside a selection error\'s server description', () => {
    const auth = new MongoServerError({ ok: 0, code: 18, errmsg: 'Authentication failed.' });
    const selection = Object.assign(new MongoServerSelectionError('Server selection timed out', { servers: new Map([['a', { error: auth }]]) } as never));
    expect(translateMongoError(selection, ctx, secrets()).code).toBe('mongo-auth-failed');
  });

  it('maps not-primary errors to mongo-unavailable saying so', () => {
    const error = new MongoServerError({ ok: 0, code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' });
    const qe = translateMongoError(error, ctx, secrets());
    expect(qe.code).toBe('mongo-unavailable');
    expect(qe.details).toMatchObject({ reason: 'not-primary' });
  });

  it('never leaks a password a driver message carries', () => {
    const leaky = new MongoServerError({
      ok: 0,
      code: 2,
      codeName: 'BadValue',
      errmsg: `bad option in mongodb://machine-0:${PASSWORD}@127.0.0.1:37017/admin and password ${PASSWORD}`,
    });
    const qe = translateMongoError(leaky, ctx, secrets());
    expect(qe).toBeInstanceOf(QuorumError);
    const wire = JSON.stringify(qe.toJSON());
    expect(wire).not.toContain(PASSWORD);
    expect(wire).toContain('[redacted]');
    // URI credentials are masked even for a password nobody registered.
    expect(redactDriverText('mongodb://machine-0:unregistered-pw@host/', new SecretRegistry())).toBe('mongodb://[redacted]@host/');
  });

  it('translates driver errors the same once the driver implementation wrapped them in the interface\'s classes', () => {
    const auth = fromDriverError(new MongoServerError({ ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' }));
    expect(auth).toBeInstanceOf(JujuDbServerError);
    expect(translateMongoError(auth, ctx, secrets()).code).toBe('mongo-auth-failed');
    const network = fromDriverError(new MongoNetworkError('connection 3 to 127.0.0.1:40001 closed'));
    expect(network).toBeInstanceOf(JujuDbNetworkError);
    expect(translateMongoError(network, ctx, secrets()).code).toBe('mongo-unavailable');
    const timeout = fromDriverError(Object.assign(new Error('Timed out during operation'), { name: 'MongoOperationTimeoutError' }));
    expect(timeout).toBeInstanceOf(JujuDbTimeoutError);
    expect(translateMongoError(timeout, ctx, secrets()).code).toBe('mongo-unavailable');
    const cert = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(translateMongoError(fromDriverError(new MongoNetworkError('x', { cause: cert })), ctx, secrets()).code).toBe('tls-failed');
  });
});

describe('cancellation', () => {
  it('keeps a cancelled operation a cancellation, not a juju-db error', () => {
    const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    expect(translateMongoError(abort, ctx, secrets()).code).toBe('cancelled');
  });
});

describe('saying in words what happened', () => {
  const at = { ...ctx, machineId: '0' };

  it('says the port is closed when the SSH server could not connect to 37017, though the client saw a reset', () => {
    const refused = Object.assign(new Error('(SSH) Channel open failure: Connection refused'), { reason: 2 });
    const channelFailure = new QuorumError('remote-command-failed', 'refused to open an SSH channel', { cause: refused });
    const reset = new JujuDbNetworkError('connection to juju-db at 127.0.0.1:40001 reset by the server: read ECONNRESET');
    const qe = translateMongoError(reset, { ...at, channelFailure: () => channelFailure }, secrets());
    expect(qe.code).toBe('mongo-unavailable');
    expect(qe.message).toContain("juju-db's port is closed on machine 0 (10.23.0.10)");
    expect(qe.message).toContain('nothing listens on 127.0.0.1:37017');
    expect(qe.message).toContain('sudo service juju-db status');
    expect(qe.message).not.toMatch(/reset|ECONNRESET/);
    expect(qe.details).toMatchObject({ reason: 'port-closed' });
    expect(qe.details?.raw).toContain('Channel open failure: Connection refused');
    expect(qe.details?.raw).toContain('read ECONNRESET');
  });

  it('mentions forwarding when the refusal was "administratively prohibited"', () => {
    const prohibited = Object.assign(new Error('(SSH) Channel open failure: open failed'), { reason: 1 });
    const qe = translateMongoError(new JujuDbNetworkError('closed'), { ...at, channelFailure: () => prohibited }, secrets());
    expect(qe.details).toMatchObject({ reason: 'port-closed' });
    expect(qe.message).toContain('AllowTcpForwarding');
  });

  it('says "did not answer within N s" for the driver\'s server-selection timeout, with the raw text kept aside', () => {
    const selection = new MongoServerSelectionError('Server selection timed out after 5000 ms', { servers: new Map() } as never);
    const qe = translateMongoError(fromDriverError(selection), at, secrets());
    expect(qe.code).toBe('mongo-unavailable');
    expect(qe.message).toContain('did not answer within 5 s');
    expect(qe.message).not.toContain('Server selection');
    expect(qe.details).toMatchObject({ reason: 'no-answer', raw: expect.stringContaining('Server selection timed out after 5000 ms') as unknown });
  });

  it('tells a TLS handshake failure (not TLS at all) from a rejected certificate', () => {
    const wrong = Object.assign(new Error('C0A7BAE8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
    const qe = translateMongoError(new JujuDbNetworkError('TLS handshake with juju-db at 127.0.0.1:40001 failed', { cause: wrong }), at, secrets());
    expect(qe.code).toBe('tls-failed');
    expect(qe.message).toContain('TLS handshake with juju-db on machine 0 (10.23.0.10) failed');
    expect(qe.message).toContain('ss -tlnp');
    expect(qe.message).not.toContain('SSL routines');
    expect(qe.details).toMatchObject({ reason: 'tls-handshake-failed' });
    const cert = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(translateMongoError(cert, at, secrets()).details).toMatchObject({ reason: 'certificate-rejected' });
  });

  it('says authentication was refused, and a plain reset as a closed connection', () => {
    expect(translateMongoError(new JujuDbServerError('auth fails', 0, { ok: 0 }), at, secrets()).message).toContain('authentication refused');
    const reset = translateMongoError(new JujuDbNetworkError('connection to juju-db at 127.0.0.1:1 closed by the server during the TLS handshake'), at, secrets());
    expect(reset.message).toContain('closed the connection during the TLS handshake');
  });

  it('keeps secrets out of the raw detail', () => {
    const qe = translateMongoError(new JujuDbNetworkError(`closed: mongodb://machine-0:${PASSWORD}@127.0.0.1/`), at, secrets());
    expect(JSON.stringify(qe.toJSON())).not.toContain(PASSWORD);
  });
});
