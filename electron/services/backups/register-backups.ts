import type { EventChannel, EventOf } from '../../../shared/ipc/contract';
import type { ConnectionManager } from '../connection/connection-manager';
import type { EnvironmentService } from '../environments/environment-service';
import type { Handlers } from '../ipc/dispatcher';
import type { Logger } from '../log';
import type { OperationManager } from '../operations/operation-manager';
import { createBackupsService, type BackupsService, type BackupsServiceOptions } from './backups-service';

/**
 * Wires backups into the composition root: the service over the shared
 * connection manager and operation manager, its channels, and the
 * `backups.changed` event. `app-services.ts` calls this once.
 */

export interface BackupsWiring {
  readonly home: string;
  readonly dispatcher: { register(handlers: Handlers): void };
  readonly events: { emit<E extends EventChannel>(event: E, payload: EventOf<E>): void };
  readonly log: Logger;
  readonly operations: OperationManager;
  readonly environments: Pick<EnvironmentService, 'resolveTarget'>;
  readonly connections: Pick<ConnectionManager, 'open'>;
  /** Electron's `shell.showItemInFolder`; absent in browser mode. */
  readonly reveal?: BackupsServiceOptions['reveal'];
  readonly gzip?: BackupsServiceOptions['gzip'];
  readonly readiness?: BackupsServiceOptions['readiness'];
}

export function registerBackups(wiring: BackupsWiring): { readonly service: BackupsService } {
  const service = createBackupsService({
    home: wiring.home,
    operations: wiring.operations,
    connection: async (environmentId) => wiring.connections.open(await wiring.environments.resolveTarget(environmentId)),
    emitChanged: (environmentId) => wiring.events.emit('backups.changed', { environmentId }),
    log: wiring.log,
    ...(wiring.reveal ? { reveal: wiring.reveal } : {}),
    ...(wiring.gzip ? { gzip: wiring.gzip } : {}),
    ...(wiring.readiness ? { readiness: wiring.readiness } : {}),
  });
  wiring.dispatcher.register(backupsHandlers(service));
  return { service };
}

export function backupsHandlers(service: BackupsService): Handlers {
  return {
    'backups.plan': async ({ environmentId }) => service.plan(environmentId),
    'backups.create': async (req) =>
      service.create(req.environmentId, {
        machineId: req.machineId,
        notes: req.notes,
        keepLocal: req.keepLocal,
        folder: req.folder,
        filename: req.filename,
      }),
    'backups.list': async ({ environmentId, folder }) => {
      const listed = await service.list(environmentId, folder);
      return { folder: listed.folder, items: listed.items, invalid: listed.invalid, serverError: listed.serverError ? listed.serverError.toJSON() : null };
    },
    'backups.info': async (req) => service.info(req.environmentId, 'id' in req ? { id: req.id } : { localPath: req.localPath }),
    'backups.verify': async (req) => service.verify(req.environmentId, 'id' in req ? { id: req.id } : { localPath: req.localPath }),
    'backups.download': async ({ environmentId, id, folder, filename }) => service.download(environmentId, id, folder, filename),
    'backups.upload': async ({ environmentId, localPath }) => service.upload(environmentId, localPath),
    'backups.remove': async ({ environmentId, id }) => {
      await service.remove(environmentId, id);
      return { removed: id };
    },
    'backups.deleteLocal': async ({ localPath }) => ({ deleted: await service.deleteLocal(localPath) }),
    'backups.reveal': async ({ localPath }) => service.reveal(localPath),
  };
}
