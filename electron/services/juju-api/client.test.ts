import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { connectJujuApi } from './client';
import { parseConstraints } from './constraints';
import { startFakeApiServer, loginResultV1, type FakeAnswer, type FakeApiServer, type FakeRequest } from './testing/fake-api-server';

const UUID = '9f0c1d2e-0000-4000-8000-000000000001';
const servers: FakeApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fake(handle: (r: FakeRequest, c: number) => FakeAnswer | Promise<FakeAnswer>, extra: Partial<Parameters<typeof startFakeApiServer>[0]> = {}) {
  const s = await startFakeApiServer({ envUuid: UUID, handle, ...extra });
  servers.push(s);
  return s;
}

/** Login v2 with password `s3cret-pw`; everything else by `rest`. */
function juju(rest: (r: FakeRequest) => FakeAnswer = () => ({ response: {} })) {
  return (r: FakeRequest): FakeAnswer => {
    if (r.Type === 'Admin') {
      const p = r.Params as Record<string, unknown>;
      return p['credentials'] === 's3cret-pw' ? { response: loginResultV1(UUID) } : { error: 'invalid entity name or password', code: 'unauthorized access' };
    }
    return rest(r);
  };
}

function connect(s: FakeApiServer, password = 's3cret-pw', extra: { callTimeoutMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}) {
  return connectJujuApi({ channel: () => s.channel(), caPem: s.caPem, envUuid: UUID, address: '10.0.0.10', login: { user: 'admin', password }, ...extra });
}

async function failure(p: Promise<unknown>): Promise<QuorumError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(e instanceof QuorumError)) throw new Error(`expected a QuorumError, got ${String(e)}`);
  return e;
}

describe('transport', () => {
  it('TLS to juju-apiserver, WebSocket on /environment/<uuid>/api with Origin http://localhost/, login v2 frame as the CLI sends it', async () => {
    const s = await fake(juju());
    const client = await connect(s);
    expect(s.paths).toEqual([`/environment/${UUID}/api`]);
    expect(s.origins).toEqual(['http://localhost/']);
    expect(s.frames[0]).toBe('{"RequestId":1,"Type":"Admin","Version":2,"Request":"Login","Params":{"auth-tag":"user-admin","credentials":"s3cret-pw","nonce":""}}');
    expect(client.login).toMatchObject({ version: 2, environTag: `environment-${UUID}`, serverVersion: '1.25.6' });
    await client.ping();
    expect(s.frames[1]).toBe('{"RequestId":2,"Type":"Pinger","Request":"Ping"}');
    client.close();
  });

  it('a certificate not issued for juju-apiserver fails TLS, said so', async () => {
    const s = await fake(juju(), { dnsNames: ['localhost', 'juju-mongodb'] });
    const e = await failure(connect(s));
    expect(e.code).toBe('juju-api-unreachable');
    expect(e.details?.['stage']).toBe('tls');
    expect(e.message).toMatch(/TLS to the Juju API on 10\.0\.0\.10 .*juju-apiserver/);
  });

  it('a CA other than the environment one fails TLS', async () => {
    const s = await fake(juju());
    const other = await fake(juju());
    const e = await failure(connectJujuApi({ channel: () => s.channel(), caPem: other.caPem, envUuid: UUID, address: 'a', login: { user: 'admin', password: 'x' } }));
    expect([e.code, e.details?.['stage']]).toEqual(['juju-api-unreachable', 'tls']);
  });

  it('a SHA-1 signed CA is accepted (security level lowered for that CA only)', async () => {
    const s = await fake(juju(), { signature: 'sha1' });
    (await connect(s)).close();
  });

  it('port closed: the channel open is refused', async () => {
    const e = await failure(
      connectJujuApi({ channel: () => Promise.reject(new Error('(SSH) Channel open failure: Connection refused')), caPem: 'x', envUuid: UUID, address: '10.0.0.10', login: { user: 'admin', password: 'p' } }),
    );
    expect([e.code, e.details?.['stage']]).toEqual(['juju-api-unreachable', 'port-closed']);
    expect(e.message).toMatch(/Port 17070 on 10\.0\.0\.10 is closed/);
  });

  it('no answer: a port that accepts but never speaks TLS times out, said so', async () => {
    const mute = net.createServer(() => undefined);
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as net.AddressInfo).port;
    const s = await fake(juju());
    try {
      const e = await failure(
        connectJujuApi({ channel: async () => net.connect(port, '127.0.0.1'), caPem: s.caPem, envUuid: UUID, address: 'h', timeoutMs: 300, login: { user: 'admin', password: 'p' } }),
      );
      expect([e.code, e.details?.['stage']]).toEqual(['juju-api-unreachable', 'no-answer']);
      expect(e.message).toMatch(/did not answer TLS/);
    } finally {
      mute.close();
    }
  });

  it('a wrong environment UUID is refused at the upgrade', async () => {
    const s = await fake(juju());
    const e = await failure(connectJujuApi({ channel: () => s.channel(), caPem: s.caPem, envUuid: 'other', address: 'h', login: { user: 'admin', password: 'p' } }));
    expect([e.code, e.details?.['stage']]).toEqual(['juju-api-unreachable', 'upgrade']);
  });
});

describe('Admin.Login', () => {
  it('falls back v2 → v1 → v0 on "not implemented", sending each version\'s params', async () => {
    const s = await fake((r) => {
      if (r.Type === 'Admin' && r.Version === 2) return { error: 'no such request - method Admin(2).Login is not implemented', code: 'not implemented' };
      if (r.Type === 'Admin' && r.Version === 1) return { error: '"" is not a valid tag', code: 'not implemented' };
      if (r.Type === 'Admin') return { response: { Servers: [], EnvironTag: `environment-${UUID}`, Facades: [{ Name: 'HighAvailability', Versions: [1] }] } };
      return { response: {} };
    });
    const client = await connect(s);
    expect(client.login.version).toBe(0);
    expect(s.received.map((r) => r.Version)).toEqual([2, 1, undefined]);
    expect(s.received[1]?.Params).toEqual({ 'auth-tag': 'user-admin', credentials: 's3cret-pw', nonce: '', AuthTag: 'user-admin', Password: 's3cret-pw', Nonce: '' });
    expect(s.frames[2]).toBe('{"RequestId":3,"Type":"Admin","Request":"Login","Params":{"AuthTag":"user-admin","Password":"s3cret-pw","Nonce":""}}');
    client.close();
  });

  it('v2 answering `"" is not a valid tag` without a code also falls back', async () => {
    const s = await fake((r) => (r.Version === 2 ? { error: '"" is not a valid tag' } : { response: loginResultV1(UUID) }));
    const client = await connect(s);
    expect(client.login.version).toBe(1);
    client.close();
  });

  it('a wrong password is juju-login-refused and never falls back', async () => {
    const s = await fake(juju());
    const e = await failure(connect(s, 'wrong-password'));
    expect(e.code).toBe('juju-login-refused');
    expect(e.message).toBe('Juju refused the login as user-admin: invalid entity name or password. Check the admin password (the .jenv "password", or enter it again).');
    expect(s.received).toHaveLength(1);
  });

  it('maintenance during login is an API error with advice, not a refused login', async () => {
    const s = await fake(() => ({ error: 'login failed - maintenance in progress' }));
    const e = await failure(connect(s));
    expect(e.code).toBe('juju-api-error');
    expect(e.message).toMatch(/maintenance in progress.*wait for it to finish/);
  });

  it('the password is registered as a secret and never appears in a redacted message', async () => {
    const secrets = new SecretRegistry();
    const s = await fake(juju());
    (await connectJujuApi({ channel: () => s.channel(), caPem: s.caPem, envUuid: UUID, address: 'h', login: { user: 'admin', password: 's3cret-pw' }, secrets })).close();
    expect(secrets.redact('pw s3cret-pw')).toBe('pw [redacted]');
  });
});

describe('calls', () => {
  it('EnsureAvailability: HighAvailability v1, one spec with EnvironTag and num-state-servers; result tags returned', async () => {
    const s = await fake(juju(() => ({ response: { Results: [{ Result: { added: ['machine-1', 'machine-2'], maintained: ['machine-0'] }, Error: null }] } })));
    const client = await connect(s);
    const changes = await client.ensureAvailability({ numStateServers: 3 });
    expect(changes).toEqual({ added: ['machine-1', 'machine-2'], maintained: ['machine-0'] });
    expect(s.frames[1]).toBe(`{"RequestId":2,"Type":"HighAvailability","Version":1,"Request":"EnsureAvailability","Params":{"Specs":[{"EnvironTag":"environment-${UUID}","num-state-servers":3}]}}`);
    await client.ensureAvailability({ numStateServers: 5, series: 'trusty', constraints: { mem: 4096 }, placement: ['#:4'] });
    expect(s.received[2]?.Params).toEqual({ Specs: [{ EnvironTag: `environment-${UUID}`, 'num-state-servers': 5, constraints: { mem: 4096 }, series: 'trusty', placement: ['#:4'] }] });
    client.close();
  });

  it('a per-spec error keeps Juju\'s words and adds what to do', async () => {
    const s = await fake(juju(() => ({ response: { Results: [{ Result: {}, Error: { Message: 'failed to create new state server machines: cannot reduce state server count', Code: '' } }] } })));
    const client = await connect(s);
    const e = await failure(client.ensureAvailability({ numStateServers: 1 }));
    expect(e.code).toBe('juju-api-error');
    expect(e.message).toMatch(/^Juju answered HighAvailability.EnsureAvailability: failed to create new state server machines: cannot reduce state server count\. .*backup.*restore/);
    expect(e.details?.['jujuError']).toBe('failed to create new state server machines: cannot reduce state server count');
    client.close();
  });

  it('blocked changes are juju-blocked with the block message and `juju unblock all-changes`', async () => {
    const s = await fake(juju(() => ({ response: { Results: [{ Result: {}, Error: { Message: 'maintenance window', Code: 'operation is blocked' } }] } })));
    const client = await connect(s);
    const e = await failure(client.ensureAvailability({ numStateServers: 3 }));
    expect(e.code).toBe('juju-blocked');
    expect(e.message).toMatch(/maintenance window.*juju unblock all-changes/);
    client.close();
  });

  it('DestroyMachines: Client v0 with MachineNames and Force; a blocked removal points at `juju unblock remove-object`', async () => {
    let blocked = false;
    const s = await fake(juju((r) => (blocked ? { error: 'no removals today', code: 'operation is blocked' } : r.Request === 'DestroyMachines' ? { response: {} } : { response: {} })));
    const client = await connect(s);
    await client.destroyMachines(['3', '4'], false);
    expect(s.frames[1]).toBe('{"RequestId":2,"Type":"Client","Request":"DestroyMachines","Params":{"MachineNames":["3","4"],"Force":false}}');
    blocked = true;
    const e = await failure(client.destroyMachines(['3'], false));
    expect(e.code).toBe('juju-blocked');
    expect(e.message).toMatch(/no removals today.*juju unblock remove-object/);
    client.close();
  });

  it('a required state server cannot be destroyed: Juju\'s words plus recovery step advice', async () => {
    const s = await fake(juju(() => ({ error: 'no machines were destroyed: machine 0 is required by the environment' })));
    const client = await connect(s);
    const e = await failure(client.destroyMachines(['0'], true));
    expect(e.code).toBe('juju-api-error');
    expect(e.message).toMatch(/machine 0 is required by the environment\. .*ensure-availability again/);
    client.close();
  });

  it('falls back to Client.EnsureAvailability without the HighAvailability facade, refusing placement', async () => {
    const s = await fake((r) =>
      r.Type === 'Admin' ? { response: loginResultV1(UUID, [{ Name: 'Client', Versions: [0] }]) } : { response: { Results: [{ Result: { maintained: ['machine-0'] }, Error: null }] } },
    );
    const client = await connect(s);
    expect(await client.ensureAvailability({ numStateServers: 0 })).toEqual({ maintained: ['machine-0'] });
    expect(s.received[1]).toMatchObject({ Type: 'Client', Request: 'EnsureAvailability' });
    expect(s.received[1]?.Version).toBeUndefined();
    await expect(client.ensureAvailability({ numStateServers: 3, placement: ['#:4'] })).rejects.toThrow(/placement directives not supported/);
    client.close();
  });

  it('an unanswered call times out; responses out of order still match their requests', async () => {
    const s = await fake(
      juju((r) => (r.Request === 'Ping' ? 'silent' : r.Request === 'DestroyMachines' ? new Promise((res) => setTimeout(() => res({ response: {} }), 50)) as never : { response: { Results: [{ Result: {}, Error: null }] } })),
    );
    const client = await connect(s, 's3cret-pw', { callTimeoutMs: 200 });
    const slow = client.destroyMachines(['5'], false);
    const fast = client.ensureAvailability({ numStateServers: 3 });
    await expect(fast).resolves.toEqual({});
    await expect(slow).resolves.toBeUndefined();
    const e = await failure(client.ping());
    expect(e.code).toBe('timeout');
    expect(e.message).toMatch(/did not answer Pinger.Ping within/);
    client.close();
  });

  it('cancellation rejects at once with cancelled; a dropped connection fails pending calls as unreachable', async () => {
    const s = await fake(juju((r) => (r.Request === 'Ping' ? 'silent' : 'close')));
    const client = await connect(s);
    const controller = new AbortController();
    const p = client.ping({ signal: controller.signal });
    controller.abort();
    expect((await failure(p)).code).toBe('cancelled');
    const e = await failure(client.destroyMachines(['1'], false));
    expect(e.code).toBe('juju-api-unreachable');
    expect(client.closed).toBe(true);
  });
});

describe('parseConstraints', () => {
  it('turns the CLI syntax into constraints.Value JSON (MB sizes, lists)', () => {
    expect(parseConstraints('mem=4G cpu-cores=2 root-disk=20480 tags=a,b arch=amd64')).toEqual({
      ok: true,
      value: { mem: 4096, 'cpu-cores': 2, 'root-disk': 20480, tags: ['a', 'b'], arch: 'amd64' },
    });
    expect(parseConstraints('')).toEqual({ ok: true, value: {} });
  });
  it.each([
    ['foo=1', 'unknown constraint "foo"'],
    ['mem=lots', 'bad "mem" constraint: must be a non-negative float with optional M/G/T/P suffix'],
    ['mem', 'malformed constraint "mem"'],
  ])('%s → %s', (text, error) => {
    expect(parseConstraints(text)).toEqual({ ok: false, error });
  });
});
