import { SANDBOX_ID, type EnvironmentService } from '../environments/environment-service';
import { targetForSandbox } from '../environments/targets';
import type { EventChannel, EventOf } from '../../../shared/ipc/contract';
import type { SecretRegistry } from '../../../shared/redact';
import { LocalLibrary } from '../backups/local-library';
import type { Handlers } from '../ipc/dispatcher';
import type { Logger } from '../log';
import type { OperationManager } from '../operations/operation-manager';
import type { SandboxLauncher } from '../sandbox-launcher';
import { createRestoreService, type RestorePlace, type RestoreService } from './restore-service';

/**
 * Wires restore into the composition root: where an environment is (the
 * sandbox's control and fresh description, or a `.jenv`/manual target), the
 * library's recorded checksums, server copies fetched through the backups
 * service, and rehearsals in a throwaway sandbox child process under the
 * run's own QUORUM_HOME. `app-services.ts` calls this once.
 */

export interface RestoreWiring {
  readonly home: string;
  readonly dispatcher: { register(handlers: Handlers): void };
  readonly events: { emit<E extends EventChannel>(event: E, payload: EventOf<E>): void };
  readonly log: Logger;
  readonly secrets: SecretRegistry;
  readonly operations: OperationManager;
  readonly environments: Pick<EnvironmentService, 'resolveTarget' | 'get'>;
  readonly sandbox: Pick<SandboxLauncher, 'ensureStarted'>;
}

export function registerRestore(wiring: RestoreWiring): { readonly service: RestoreService; close(): Promise<void> } {
  const library = new LocalLibrary(wiring.home);
  const place = async (environmentId: string): Promise<RestorePlace> => {
    if (environmentId === SANDBOX_ID) {
      const sandbox = await wiring.sandbox.ensureStarted();
      const d = await sandbox.describe();
      return { environmentId, name: d.environment.name, uuid: d.environment.uuid, target: targetForSandbox(d), sandbox };
    }
    const environment = await wiring.environments.get(environmentId);
    return { environmentId, name: environment.name, uuid: null, target: await wiring.environments.resolveTarget(environmentId), sandbox: null };
  };
  const service = createRestoreService({
    home: wiring.home,
    operations: wiring.operations,
    secrets: wiring.secrets,
    log: wiring.log,
    place,
    emitProgress: (run) => wiring.events.emit('restore.progress', run),
    recordedChecksum: async (file) => {
      const checksum = await library.knownChecksum(file);
      return checksum ? { checksum, source: 'library' } : null;
    },
    startThrowawaySandbox: async (home, shape) => {
      const { launchSandboxProcess } = await import('../../sandbox/sandbox-client');
      const sandbox = await launchSandboxProcess({ home, machines: shape, onLog: (line) => wiring.log.info(`rehearsal: ${line}`) });
      const d = await sandbox.describe();
      return { environmentId: SANDBOX_ID, name: d.environment.name, uuid: d.environment.uuid, target: targetForSandbox(d), sandbox, stop: () => sandbox.stop() };
    },
  });
  wiring.dispatcher.register(restoreHandlers(service));
  return { service, close: () => service.close() };
}

export function restoreHandlers(service: RestoreService): Handlers {
  return {
    'restore.stage': async ({ localPath }) => service.stage(localPath),
    'restore.discard': async ({ localPath }) => service.discard(localPath),
    'restore.inspect': async ({ archive }) => service.inspect(archive),
    'restore.precheck': async ({ environmentId, archive, target, confirmations }) => service.precheck(environmentId, archive, target, confirmations),
    'restore.start': async ({ environmentId, archive, target, confirmations }) => service.start(environmentId, archive, target, confirmations),
    'restore.retryMachine': async ({ operationId, machineId }) => service.retryMachine(operationId, machineId),
    'restore.rehearse': async ({ archive }) => service.rehearse(archive),
    'restore.result': async ({ operationId }) => service.result(operationId),
  };
}
