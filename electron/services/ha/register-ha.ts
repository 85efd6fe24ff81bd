import path from 'node:path';
import { QuorumError } from '../../../shared/errors';
import type { EventChannel, EventOf } from '../../../shared/ipc/contract';
import type { TopologySnapshot } from '../../../shared/model/topology-snapshot';
import type { SecretRegistry } from '../../../shared/redact';
import type { ConnectionManager } from '../connection/connection-manager';
import type { EnvironmentService } from '../environments/environment-service';
import type { EventHub } from '../ipc/event-hub';
import type { Handlers } from '../ipc/dispatcher';
import { connectJujuApi, type JujuApiClient } from '../juju-api/client';
import { API_PORT } from '../juju-api/transport';
import type { Logger } from '../log';
import type { OperationManager } from '../operations/operation-manager';
import { mostActionable } from '../topology/first-answer';
import { AdminCredentials, readJenvFacts, type ApiCredentials, type CredentialFiles } from './admin-credentials';
import { createHaService, type HaService, type HaTopology } from './ha-service';

/**
 * Wires HA into the composition root: the service over the topology
 * service's live view, the shared connection manager (the API is reached
 * through a state server's SSH session, `forwardOut('127.0.0.1', 17070)`),
 * the operation manager, and `ha.changed` pushed whenever the topology of
 * the selected environment changes.
 */

export interface HaWiring {
  readonly home: string;
  readonly dispatcher: { register(handlers: Handlers): void };
  readonly events: Pick<EventHub, 'subscribe'> & { emit<E extends EventChannel>(event: E, payload: EventOf<E>): void };
  readonly log: Logger;
  readonly secrets: SecretRegistry;
  readonly operations: OperationManager;
  readonly environments: Pick<EnvironmentService, 'resolveTarget' | 'get'>;
  readonly connections: Pick<ConnectionManager, 'open' | 'connection'>;
  readonly topology: HaTopology;
}

/** Where the admin password may be read: the `.jenv`, and for the sandbox its own secret file too. */
export function credentialFiles(home: string, environments: Pick<EnvironmentService, 'get'>) {
  return async (environmentId: string): Promise<CredentialFiles> => {
    const environment = await environments.get(environmentId);
    if (environment.kind === 'sandbox') {
      const dir = path.join(path.resolve(home), 'sandbox');
      return { jenv: path.join(dir, 'environments', 'sandbox.jenv'), passwordFile: path.join(dir, 'pki', 'admin-password') };
    }
    return { jenv: environment.kind === 'juju' ? environment.source : null };
  };
}

export function registerHa(wiring: HaWiring): { readonly service: HaService; close(): void } {
  const files = credentialFiles(wiring.home, wiring.environments);
  const credentials = new AdminCredentials(wiring.secrets, files);
  const openConnection = (environmentId: string) => {
    try {
      return wiring.connections.connection(environmentId);
    } catch {
      return null;
    }
  };
  const openApi = async (environmentId: string, login: ApiCredentials, preferred: readonly string[], signal?: AbortSignal): Promise<JujuApiClient> => {
    const target = await wiring.environments.resolveTarget(environmentId);
    const environment = await wiring.environments.get(environmentId);
    const where = await files(environmentId);
    const jenv = where.jenv === null ? null : await readJenvFacts(where.jenv, wiring.secrets);
    const envUuid = jenv?.environUuid ?? environment.environUuid;
    if (envUuid === null) {
      throw new QuorumError('juju-api-error', `Quorum does not know ${environment.name}'s environment UUID, which Juju's API path needs. Use the environment's .jenv (it has "environ-uuid").`);
    }
    // The connection the topology already reads through, when open: a re-resolved target (the sandbox grew) would replace it.
    const connection = openConnection(environmentId) ?? wiring.connections.open(target);
    const addresses = [...new Set([...preferred, ...target.stateServers.map((s) => s.address)])];
    const errors: unknown[] = [];
    for (const address of addresses) {
      try {
        const session = await connection.stateServer(address);
        const caPem = target.caCertPem ?? jenv?.caCertPem ?? session.agentConf?.cacert ?? null;
        if (caPem === null) throw new QuorumError('tls-failed', `No CA certificate is known for ${environment.name}, so the Juju API's certificate cannot be checked.`);
        return await connectJujuApi({
          channel: () => session.forwardOut('127.0.0.1', API_PORT),
          caPem,
          envUuid,
          address,
          login: { user: login.user, password: login.password },
          secrets: wiring.secrets,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (error instanceof QuorumError && ['juju-login-refused', 'cancelled', 'juju-blocked'].includes(error.code)) throw error;
        errors.push(error);
      }
    }
    throw mostActionable(errors) ?? new QuorumError('juju-api-unreachable', `${environment.name} lists no state server to reach Juju's API on.`);
  };
  const service = createHaService({
    operations: wiring.operations,
    topology: wiring.topology,
    credentials,
    openApi,
    emitApplyProgress: (p) => wiring.events.emit('ha.applyProgress', p),
    log: wiring.log,
  });
  // ha.changed follows topology.changed (and operations starting or ending, which move `applyOperationId`).
  let last = '';
  const push = (snapshot: TopologySnapshot) => {
    void service.statusOf(snapshot).then(
      (status) => {
        if (status === null) return;
        const key = JSON.stringify(status);
        if (key === last) return;
        last = key;
        wiring.events.emit('ha.changed', status);
      },
      () => undefined,
    );
  };
  const unsubscribe = wiring.events.subscribe((message) => {
    if (message.event === 'topology.changed') push(message.payload as TopologySnapshot);
    else if (message.event === 'operation.finished' && (message.payload as { kind?: string }).kind === 'ha.apply') push(wiring.topology.snapshot());
  });
  wiring.dispatcher.register(haHandlers(service));
  return { service, close: unsubscribe };
}

export function haHandlers(service: HaService): Handlers {
  return {
    'ha.status': async ({ environmentId }) => service.status(environmentId),
    'ha.preview': async (spec) => service.preview(spec),
    'ha.apply': async (request) => service.apply(request),
    'ha.setAdminPassword': async ({ environmentId, password }) => service.setAdminPassword(environmentId, password),
    'ha.removeMachines': async ({ environmentId, machineIds, force }) => service.removeMachines(environmentId, machineIds, force ?? false),
    'ha.recoveryPlan': async ({ environmentId }) => service.recoveryPlan(environmentId),
  };
}
