// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEDULED_NOTES, type ScheduleRun } from '../../../../shared/ipc/channels/schedule';
import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { SchedulePanel } from './schedule-panel';
import { EMPTY, NEXT, scheduleApi } from './schedule-test-api';

/** The Schedule panel's Retry buttons: the failed request again with the same settings; a failed run's backup made again. */

afterEach(cleanup);

const SETTINGS = { cadence: { kind: 'interval' as const, hours: 6 }, keep: 5, maxAgeDays: null, includeServer: false };
const UNREACHABLE = 'No state server of sandbox can be reached. Check the Topology page, then try again.';
const FAILED_RUN: ScheduleRun = { started: '2025-03-01T10:00:00.000Z', finished: '2025-03-01T10:00:05.000Z', ok: false, backupId: null, localPath: null, message: `The backup was not created: ${UNREACHABLE}`, catchUp: false, acknowledged: false };

function show(api: ReturnType<typeof scheduleApi>) {
  return renderWithStore(<SchedulePanel environmentId="sandbox" />, api as unknown as FakeApi);
}

function operation(id: string, state: OperationSnapshot['state'], extra: Partial<OperationSnapshot> = {}): OperationSnapshot {
  return { id, kind: 'backup.create', environmentId: 'sandbox', title: 'Create backup', state, startedAt: '2025-03-01T12:00:00.000Z', finishedAt: state === 'running' ? null : '2025-03-01T12:00:30.000Z', progress: { phase: 'dump', message: 'Dumping juju-db…' }, log: [], ...extra } as OperationSnapshot;
}

describe('schedule requests', () => {
  it('a save that failed offers Retry save, which saves the same settings; success shows the schedule and clears the error', async () => {
    const api = scheduleApi();
    await show(api);
    await screen.findByText('No scheduled backups for this environment.');
    fireEvent.change(screen.getByLabelText('Hours between runs'), { target: { value: '6' } });
    fireEvent.change(screen.getByLabelText('Keep (newest backups)'), { target: { value: '5' } });
    api.failNext('schedule.set', { code: 'internal', message: 'QUORUM_HOME/schedules.json could not be written: disk full. Free some space, then retry.' });
    fireEvent.click(screen.getByRole('button', { name: 'Save schedule' }));
    const alert = (await screen.findByText('The schedule could not be saved')).closest('[role="alert"]') as HTMLElement;
    expect(alert.textContent).toContain('disk full');
    // Retry sends what was saved, even if the form changes meanwhile.
    fireEvent.change(screen.getByLabelText('Keep (newest backups)'), { target: { value: '9' } });
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry save' }));
    await screen.findByText('Backs up every 6 hours; keep 5, local library only.');
    expect(api.callsTo('schedule.set')).toEqual([
      { environmentId: 'sandbox', settings: SETTINGS },
      { environmentId: 'sandbox', settings: SETTINGS },
    ]);
    expect(screen.queryByText('The schedule could not be saved')).toBeNull();
  });

  it('a turn-off that failed offers Retry turn off', async () => {
    const api = scheduleApi({ ...EMPTY, settings: SETTINGS, nextRun: NEXT });
    await show(api);
    await screen.findByText('Backs up every 6 hours; keep 5, local library only.');
    api.failNext('schedule.clear', { code: 'internal', message: 'schedules.json could not be written. Try again.' });
    fireEvent.click(screen.getByRole('button', { name: 'Turn off' }));
    const alert = (await screen.findByText('The schedule could not be turned off')).closest('[role="alert"]') as HTMLElement;
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry turn off' }));
    await screen.findByText('No scheduled backups for this environment.');
    expect(api.callsTo('schedule.clear')).toHaveLength(2);
    expect(screen.queryByText('The schedule could not be turned off')).toBeNull();
  });
});

describe('a failed scheduled run', () => {
  it('Retry backup makes the backup the schedule makes, disabled while it runs; its success acknowledges the failure', async () => {
    const api = scheduleApi({ ...EMPTY, settings: SETTINGS, nextRun: NEXT, failure: FAILED_RUN });
    await show(api);
    const alert = await screen.findByRole('alert', { name: 'Scheduled backup failed' });
    expect(alert.textContent).toContain('then try again');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry backup' }));
    await waitFor(() => expect(api.callsTo('backups.create')).toEqual([{ environmentId: 'sandbox', notes: SCHEDULED_NOTES, keepLocal: true }]));
    act(() => api.base.emit('operation.progress', operation('op-backup-1', 'running')));
    expect((within(alert).getByRole('button', { name: 'Retrying backup…' }) as HTMLButtonElement).disabled).toBe(true);
    expect(within(alert).getByRole('status').textContent).toBe('Dumping juju-db…');
    expect(api.callsTo('schedule.acknowledge')).toEqual([]);

    act(() => api.base.emit('operation.finished', operation('op-backup-1', 'succeeded')));
    await waitFor(() => expect(screen.queryByRole('alert', { name: 'Scheduled backup failed' })).toBeNull());
    expect(api.callsTo('schedule.acknowledge')).toEqual([{ environmentId: 'sandbox' }]);
  });

  it('a Retry backup that fails too says why and is offered again; the failure stays', async () => {
    const api = scheduleApi({ ...EMPTY, settings: SETTINGS, nextRun: NEXT, failure: FAILED_RUN });
    await show(api);
    const alert = await screen.findByRole('alert', { name: 'Scheduled backup failed' });
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry backup' }));
    await waitFor(() => expect(api.callsTo('backups.create')).toHaveLength(1));
    act(() => api.base.emit('operation.finished', operation('op-backup-1', 'failed', { error: { code: 'host-unreachable', message: 'Could not reach 10.23.0.10:22 over SSH: connection refused.' } })));
    expect(await within(alert).findByText('Retry backup failed too: Could not reach 10.23.0.10:22 over SSH: connection refused.')).toBeTruthy();
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry backup' }));
    await waitFor(() => expect(api.callsTo('backups.create')).toHaveLength(2));
    expect(api.callsTo('schedule.acknowledge')).toEqual([]);
  });

  it('a run whose backup was kept but retention failed offers no Retry backup and says retention runs next time', async () => {
    const api = scheduleApi({ ...EMPTY, settings: SETTINGS, nextRun: NEXT, failure: { ...FAILED_RUN, backupId: 'b1', message: 'Backup b1 was created, but retention did not run: the library could not be read.' } });
    await show(api);
    const alert = await screen.findByRole('alert', { name: 'Scheduled backup failed' });
    expect(within(alert).queryByRole('button', { name: 'Retry backup' })).toBeNull();
    expect(alert.textContent).toContain('Retention runs again with the next scheduled backup.');
  });
});
