import { describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { ConnectionTarget } from '../environments/target';
import { namedHostTarget } from './restore-service';

const environment = (endpoints: Record<string, { host: string; port: number }>): ConnectionTarget =>
  ({
    environmentId: 'e',
    name: 'e',
    kind: 'sandbox',
    sshUser: 'ubuntu',
    keyFile: '/k',
    stateServers: [{ address: '10.23.0.10', ssh: { host: '127.0.0.1', port: 2200 } }],
    sshEndpointFor: (address: string) => {
      const e = endpoints[address];
      if (!e) throw new QuorumError('host-unreachable', `no machine at ${address}`);
      return e;
    },
    caCertPem: null,
    vouchedHostKeys: new Map(),
  }) as unknown as ConnectionTarget;

describe('namedHostTarget: where the replacement the operator named is reached', () => {
  it('where the environment says that address is (the sandbox maps 10.23.0.x to a local port)', () => {
    const t = namedHostTarget(environment({ '10.23.0.15': { host: '127.0.0.1', port: 40955 } }), '10.23.0.15', undefined);
    expect(t.stateServers).toEqual([{ address: '10.23.0.15', ssh: { host: '127.0.0.1', port: 40955 } }]);
  });

  it('port 22 at the address for a host the environment does not know', () => {
    expect(namedHostTarget(environment({}), '192.0.2.7', undefined).stateServers).toEqual([{ address: '192.0.2.7', ssh: { host: '192.0.2.7', port: 22 } }]);
  });

  it('the SSH port given wins', () => {
    expect(namedHostTarget(environment({ '10.23.0.15': { host: '127.0.0.1', port: 40955 } }), '10.23.0.15', 2222).stateServers).toEqual([
      { address: '10.23.0.15', ssh: { host: '10.23.0.15', port: 2222 } },
    ]);
  });
});
