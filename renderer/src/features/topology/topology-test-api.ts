import { act } from '@testing-library/react';
import type { SerializedError } from '../../../../shared/errors';
import type { ConnectionStatus } from '../../../../shared/ipc/channels/connection';
import type { QuorumApi, RequestChannel } from '../../../../shared/ipc/contract';
import { syntheticTopology, type SyntheticOptions } from '../../../../shared/model/synthetic-topology';
import type { TopologySnapshot } from '../../../../shared/model/topology-snapshot';
import { createFakeApi, jujuEnvironment, type FakeApi } from '../../testing/fake-api';

/** The shell's fake API plus the topology, sandbox and connection channels this page uses. */
export function topologyApi(options: { selectedId?: string; snapshot?: TopologySnapshot; connections?: ConnectionStatus } = {}) {
  const base: FakeApi = createFakeApi({ environments: [jujuEnvironment('prod')], ...(options.selectedId ? { selectedId: options.selectedId } : {}) });
  let snapshot: TopologySnapshot = options.snapshot ?? ready();
  const calls: { channel: RequestChannel; request: unknown }[] = [];
  const failures = new Map<RequestChannel, SerializedError>();
  const api: QuorumApi & { calls: typeof calls; base: FakeApi; push(s: TopologySnapshot): void; failNext(c: RequestChannel, e: SerializedError): void } = {
    calls,
    base,
    push(s) {
      snapshot = s;
      act(() => base.emit('topology.changed', s));
    },
    failNext: (c, e) => failures.set(c, e),
    on: base.on.bind(base),
    async invoke(channel, request) {
      calls.push({ channel, request });
      const failure = failures.get(channel);
      if (failure) {
        failures.delete(channel);
        return { ok: false, error: failure };
      }
      switch (channel) {
        case 'topology.get':
        case 'topology.watch':
          return { ok: true, value: snapshot } as never;
        case 'connection.status':
          return { ok: true, value: options.connections ?? { environmentId: snapshot.environmentId ?? '', stateServers: [] } } as never;
        case 'connection.trustHostKey':
          return { ok: true, value: { fingerprint: (request as { fingerprint: string }).fingerprint, keyType: 'ssh-ed25519' } } as never;
        case 'sandbox.powerOff':
        case 'sandbox.powerOn':
          return { ok: true, value: {} } as never;
        default:
          return base.invoke(channel, request);
      }
    },
  };
  return api;
}

export function ready(options: SyntheticOptions = {}, environmentId = 'sandbox'): TopologySnapshot {
  return { environmentId, status: 'ready', topology: syntheticTopology({ environmentId, ...options }), error: null };
}

