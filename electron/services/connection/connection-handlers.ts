import type { ConnectionStatus } from '../../../shared/ipc/channels/connection';
import type { EventChannel, EventOf, RequestChannel } from '../../../shared/ipc/contract';
import type { SecretRegistry } from '../../../shared/redact';
import type { Handlers } from '../ipc/dispatcher';
import type { ConnectionManager } from './connection-manager';
import type { EnvironmentStatus } from './environment-connection';

/**
 * The connection channels (`shared/ipc/channels/connection.ts`) over a
 * ConnectionManager, and its `connection.changed` event. The composition
 * root calls `registerConnectionHandlers` once.
 */

export interface ConnectionHandlerDeps {
  readonly manager: ConnectionManager;
  readonly secrets: SecretRegistry;
  readonly dispatcher: { register(handlers: Handlers): void };
  readonly events: { emit<E extends EventChannel>(event: E, payload: EventOf<E>): void };
}

/** The wire form: no error field when there is none; nothing secret (errors are QuorumError data, already redacted). */
export function toConnectionStatus(status: EnvironmentStatus): ConnectionStatus {
  return {
    environmentId: status.environmentId,
    stateServers: status.stateServers.map((s) => ({
      address: s.address,
      machineId: s.machineId,
      state: s.state,
      ...(s.error ? { error: s.error } : {}),
    })),
  };
}

export function connectionHandlers(manager: ConnectionManager, secrets: SecretRegistry): Pick<Handlers, RequestChannel & `connection.${string}`> {
  return {
    'connection.status': async ({ environmentId }) => toConnectionStatus(manager.status(environmentId)),
    'connection.trustHostKey': async ({ environmentId, host, port, fingerprint }) =>
      manager.trustHostKey(environmentId, host, port, fingerprint),
    'connection.providePassphrase': async ({ environmentId, passphrase }) => {
      // Registered before anything else can see it: every log line and error is redacted from here on.
      secrets.add(passphrase);
      await manager.providePassphrase(environmentId, passphrase);
      return {};
    },
    'connection.retry': async ({ environmentId }) => {
      manager.connection(environmentId).retry();
      return {};
    },
  };
}

/** Registers the channels and forwards state changes as `connection.changed`; returns the unsubscribe. */
export function registerConnectionHandlers(deps: ConnectionHandlerDeps): () => void {
  deps.dispatcher.register(connectionHandlers(deps.manager, deps.secrets));
  const forward = (status: EnvironmentStatus): void => deps.events.emit('connection.changed', toConnectionStatus(status));
  deps.manager.on('changed', forward);
  return () => deps.manager.off('changed', forward);
}
