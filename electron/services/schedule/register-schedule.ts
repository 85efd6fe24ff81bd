import type { EventChannel, EventOf } from '../../../shared/ipc/contract';
import type { BackupsService } from '../backups/backups-service';
import type { EnvironmentService } from '../environments/environment-service';
import type { Handlers } from '../ipc/dispatcher';
import type { Logger } from '../log';
import type { OperationManager } from '../operations/operation-manager';
import { systemClock, type Clock } from './clock';
import type { ConnectionLeases } from './connection-leases';
import { scheduledBackupRunner } from './scheduled-run';
import { createScheduler, type Scheduler } from './scheduler';
import { ScheduleStore } from './schedule-store';

/**
 * Wires scheduled backups into the composition root: the store in
 * QUORUM_HOME, the scheduler over the backups service and leased
 * connections, its channels and the `schedule.changed` event.
 * `app-services.ts` calls this once and closes it on shutdown.
 */

export interface ScheduleWiring {
  readonly home: string;
  readonly dispatcher: { register(handlers: Handlers): void };
  readonly events: { emit<E extends EventChannel>(event: E, payload: EventOf<E>): void };
  readonly log: Logger;
  readonly operations: OperationManager;
  readonly environments: Pick<EnvironmentService, 'resolveTarget'>;
  readonly leases: ConnectionLeases;
  readonly backups: BackupsService;
  /** A desktop notification (Electron's `Notification`); absent in browser mode. */
  readonly notify?: (title: string, body: string) => void;
  /** Default: the system clock. */
  readonly clock?: Clock;
  readonly catchUpDelayMs?: number;
}

export function registerSchedule(wiring: ScheduleWiring): { readonly scheduler: Scheduler; close(): Promise<void> } {
  const log = wiring.log;
  const clock = wiring.clock ?? systemClock;
  const scheduler = createScheduler({
    store: new ScheduleStore(wiring.home, log),
    clock,
    log,
    onChange: (state) => wiring.events.emit('schedule.changed', state),
    run: scheduledBackupRunner({
      backups: wiring.backups,
      operations: wiring.operations,
      environments: wiring.environments,
      leases: wiring.leases,
      log,
      emitBackupsChanged: (environmentId) => wiring.events.emit('backups.changed', { environmentId }),
      now: () => clock.now(),
    }),
    ...(wiring.notify ? { notify: wiring.notify } : {}),
    ...(wiring.catchUpDelayMs === undefined ? {} : { catchUpDelayMs: wiring.catchUpDelayMs }),
  });
  scheduler.start().catch((error: unknown) => log.error('Scheduled backups could not start', { error: String(error) }));
  wiring.dispatcher.register(scheduleHandlers(scheduler));
  return { scheduler, close: () => scheduler.close() };
}

export function scheduleHandlers(scheduler: Scheduler): Handlers {
  return {
    'schedule.get': ({ environmentId }) => scheduler.get(environmentId),
    'schedule.set': ({ environmentId, settings }) => scheduler.set(environmentId, settings),
    'schedule.clear': ({ environmentId }) => scheduler.clear(environmentId),
    'schedule.acknowledge': ({ environmentId }) => scheduler.acknowledge(environmentId),
  };
}
