import { QuorumError } from '../../../shared/errors';
import type { EventChannel, EventOf } from '../../../shared/ipc/contract';
import type { SandboxControl } from '../../sandbox/types';
import type { ConnectionManager } from '../connection/connection-manager';
import type { EnvironmentService } from '../environments/environment-service';
import type { Handlers } from '../ipc/dispatcher';
import type { Logger } from '../log';
import { connectionTopologySource } from './connection-source';
import { createTopologyService, type TopologyService } from './topology-service';

/**
 * Wires the topology service into the composition root: it follows the
 * selected environment, reads through the shared connection manager,
 * publishes `topology.changed`, and serves the topology and sandbox
 * channels. `app-services.ts` calls this once and keeps `close`.
 */

export const SANDBOX_ENVIRONMENT_ID = 'sandbox';

export interface TopologyWiring {
  readonly dispatcher: { register(handlers: Handlers): void };
  readonly events: { emit<E extends EventChannel>(event: E, payload: EventOf<E>): void };
  readonly log: Logger;
  readonly environments: Pick<EnvironmentService, 'selectedId' | 'resolveTarget' | 'onSelected'>;
  readonly connections: Pick<ConnectionManager, 'open'>;
  readonly sandbox: { ensureStarted(): Promise<Pick<SandboxControl, 'powerOff' | 'powerOn' | 'rotateHostKey'>> };
  /** Poll interval (default 1000 ms). */
  readonly intervalMs?: number;
}

export interface TopologyRegistration {
  readonly service: TopologyService;
  close(): Promise<void>;
}

export function registerTopology(wiring: TopologyWiring): TopologyRegistration {
  const service = createTopologyService({
    openSource: async (environmentId) => connectionTopologySource(wiring.connections.open(await wiring.environments.resolveTarget(environmentId))),
    publish: (snapshot) => wiring.events.emit('topology.changed', snapshot),
    log: wiring.log,
    ...(wiring.intervalMs === undefined ? {} : { intervalMs: wiring.intervalMs }),
  });
  const unsubscribe = wiring.environments.onSelected((id) => service.select(id));
  // The selection made in an earlier run (or before this was wired).
  void wiring.environments.selectedId().then(
    (id) => {
      if (service.snapshot().environmentId === null) service.select(id);
    },
    () => undefined,
  );
  wiring.dispatcher.register({ ...topologyHandlers(service), ...sandboxHandlers(wiring, service) });
  return {
    service,
    close: async () => {
      unsubscribe();
      await service.close();
    },
  };
}

export function topologyHandlers(service: TopologyService): Handlers {
  return {
    'topology.get': async () => service.snapshot(),
    'topology.watch': async ({ active }, ctx) => service.watch(`${ctx.sender.host}:${ctx.sender.id}`, active),
  };
}

/**
 * Power and host-key controls act on the sandbox only; with any other
 * environment selected they are refused, so no request can reach a real
 * machine through them. After each one the topology is read at once rather
 * than at the next tick.
 */
export function sandboxHandlers(wiring: Pick<TopologyWiring, 'environments' | 'sandbox'>, service: Pick<TopologyService, 'refresh'>): Handlers {
  const sandbox = async () => {
    const selected = await wiring.environments.selectedId();
    if (selected !== SANDBOX_ENVIRONMENT_ID) {
      throw new QuorumError('forbidden', 'Power and host-key controls exist only for the sandbox. Select the sandbox environment to use them.');
    }
    return wiring.sandbox.ensureStarted();
  };
  const thenRefresh = () => {
    void service.refresh().catch(() => undefined);
  };
  return {
    'sandbox.powerOff': async ({ machineId }) => {
      await (await sandbox()).powerOff(machineId);
      thenRefresh();
      return {};
    },
    'sandbox.powerOn': async ({ machineId }) => {
      await (await sandbox()).powerOn(machineId);
      thenRefresh();
      return {};
    },
    'sandbox.rotateHostKey': async ({ machineId }) => {
      const fingerprint = await (await sandbox()).rotateHostKey(machineId);
      return { fingerprint };
    },
  };
}
