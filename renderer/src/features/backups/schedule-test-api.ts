import type { SerializedError } from '../../../../shared/errors';
import type { ScheduleState } from '../../../../shared/ipc/channels/schedule';
import type { QuorumApi, RequestChannel } from '../../../../shared/ipc/contract';
import { createFakeApi, type FakeApi } from '../../testing/fake-api';

/**
 * A fake schedule service for the Schedule panel's tests: answers the
 * `schedule.*` channels from one state, fails a channel on demand, and
 * starts backups (`backups.create`) with numbered operations.
 */

export const EMPTY: ScheduleState = { environmentId: 'sandbox', settings: null, nextRun: null, running: false, lastRun: null, failure: null };
export const NEXT = '2025-03-01T14:00:00.000Z';

export function scheduleApi(initial: ScheduleState = EMPTY) {
  const base: FakeApi = createFakeApi();
  const calls: { channel: RequestChannel; request: unknown }[] = [];
  let state = initial;
  let getFailures = 0;
  const failures = new Map<RequestChannel, SerializedError>();
  let creates = 0;
  const api: QuorumApi & { calls: typeof calls; base: FakeApi; failGets(n: number): void; failNext(channel: RequestChannel, error: SerializedError): void; callsTo(channel: RequestChannel): unknown[] } = {
    calls,
    base,
    failGets: (n) => (getFailures = n),
    failNext: (channel, error) => failures.set(channel, error),
    callsTo: (channel) => calls.filter((c) => c.channel === channel).map((c) => c.request),
    on: base.on.bind(base),
    async invoke(channel, request) {
      calls.push({ channel, request });
      const r = request as Record<string, unknown>;
      const failure = failures.get(channel);
      if (failure !== undefined) {
        failures.delete(channel);
        return { ok: false, error: failure } as never;
      }
      switch (channel) {
        case 'schedule.get':
          if (getFailures > 0) {
            getFailures--;
            return { ok: false, error: { code: 'internal', message: 'QUORUM_HOME/schedules.json could not be read: permission denied. Fix its permissions, then retry.' } } as never;
          }
          return { ok: true, value: state } as never;
        case 'schedule.set':
          state = { ...state, settings: r.settings as ScheduleState['settings'], nextRun: NEXT };
          return { ok: true, value: state } as never;
        case 'schedule.clear':
          state = { ...state, settings: null, nextRun: null };
          return { ok: true, value: state } as never;
        case 'schedule.acknowledge':
          state = { ...state, failure: null };
          return { ok: true, value: state } as never;
        case 'backups.create':
          return { ok: true, value: { operationId: `op-backup-${++creates}` } } as never;
        case 'backups.list':
          return { ok: true, value: { folder: '/b', items: [], invalid: [], serverError: null } } as never;
        default:
          return base.invoke(channel, request);
      }
    },
  };
  return api;
}
