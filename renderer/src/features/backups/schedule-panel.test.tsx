// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { SchedulePanel } from './schedule-panel';
import { EMPTY, NEXT, scheduleApi } from './schedule-test-api';

afterEach(cleanup);

const panel = () => screen.getByRole('region', { name: 'Schedule' });

describe('schedule panel', () => {
  it('a schedule that could not be read: the reason alone (not "Reading…" beside it) and a Retry that reads it again', async () => {
    const api = scheduleApi();
    api.failGets(1);
    await renderWithStore(<SchedulePanel environmentId="sandbox" />, api as unknown as FakeApi);
    const alert = await within(panel()).findByRole('alert');
    expect(alert.textContent).toContain('schedules.json could not be read');
    expect(within(panel()).queryByText('Reading the schedule…')).toBeNull();
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('No scheduled backups for this environment.')).toBeTruthy();
    expect(within(panel()).queryByRole('alert')).toBeNull();
    expect(api.calls.filter((c) => c.channel === 'schedule.get')).toHaveLength(2);
  });

  it('saves every N hours with retention and shows the next run', async () => {
    const api = scheduleApi();
    await renderWithStore(<SchedulePanel environmentId="sandbox" />, api as unknown as FakeApi);
    expect(await screen.findByText('No scheduled backups for this environment.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Hours between runs'), { target: { value: '6' } });
    fireEvent.change(screen.getByLabelText('Keep (newest backups)'), { target: { value: '5' } });
    fireEvent.change(screen.getByLabelText('Max age (days)'), { target: { value: '30' } });
    fireEvent.click(screen.getByLabelText('Also prune server copies'));
    fireEvent.click(screen.getByRole('button', { name: 'Save schedule' }));
    await waitFor(() => expect(api.calls.some((c) => c.channel === 'schedule.set')).toBe(true));
    expect(api.calls.find((c) => c.channel === 'schedule.set')!.request).toEqual({
      environmentId: 'sandbox',
      settings: { cadence: { kind: 'interval', hours: 6 }, keep: 5, maxAgeDays: 30, includeServer: true },
    });
    const status = within(panel()).getByRole('status', { name: 'Schedule status' });
    await waitFor(() => expect(status.textContent).toContain('Next run:'));
    expect(status.querySelector('time')!.getAttribute('dateTime')).toBe(NEXT);
    expect(status.textContent).toContain('Backs up every 6 hours; keep 5, max age 30 days, server copies too.');
  });

  it('saves daily at a local time without retention, and turns it off', async () => {
    const api = scheduleApi();
    await renderWithStore(<SchedulePanel environmentId="sandbox" />, api as unknown as FakeApi);
    await screen.findByText('No scheduled backups for this environment.');
    fireEvent.click(screen.getByLabelText('Daily at'));
    fireEvent.change(screen.getByLabelText('Time of day'), { target: { value: '02:30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save schedule' }));
    await screen.findByText('Backs up daily at 02:30; no retention.');
    expect(api.calls.find((c) => c.channel === 'schedule.set')!.request).toMatchObject({ settings: { cadence: { kind: 'daily', time: '02:30' }, keep: null, maxAgeDays: null } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn off' }));
    await screen.findByText('No scheduled backups for this environment.');
    expect(screen.queryByText(/Next run/)).toBeNull();
  });

  it('refuses an unusable value in words, without calling main', async () => {
    const api = scheduleApi();
    await renderWithStore(<SchedulePanel environmentId="sandbox" />, api as unknown as FakeApi);
    await screen.findByText('No scheduled backups for this environment.');
    fireEvent.change(screen.getByLabelText('Keep (newest backups)'), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save schedule' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Keep: keep at least 1 backup.');
    expect(api.calls.some((c) => c.channel === 'schedule.set')).toBe(false);
  });

  it('shows a failed run as an alert until acknowledged, the last run beside it', async () => {
    const failure = { started: '2025-03-01T10:00:00.000Z', finished: '2025-03-01T10:00:05.000Z', ok: false, backupId: null, localPath: null, message: 'The backup was not created: No state server of this environment can be reached. Check the Topology page.', catchUp: false, acknowledged: false };
    const lastRun = { ...failure, started: '2025-03-01T11:00:00.000Z', finished: '2025-03-01T11:00:09.000Z', ok: true, backupId: 'x', message: 'Backup x created.', acknowledged: true };
    const api = scheduleApi({ ...EMPTY, settings: { cadence: { kind: 'interval', hours: 1 }, keep: 3, maxAgeDays: null, includeServer: false }, nextRun: NEXT, lastRun, failure });
    await renderWithStore(<SchedulePanel environmentId="sandbox" />, api as unknown as FakeApi);
    const alert = await screen.findByRole('alert', { name: 'Scheduled backup failed' });
    expect(alert.textContent).toContain('No state server of this environment can be reached. Check the Topology page.');
    expect(within(panel()).getByRole('status', { name: 'Schedule status' }).textContent).toContain('Last run: succeeded at');
    expect((screen.getByLabelText('Keep (newest backups)') as HTMLInputElement).value).toBe('3');
    fireEvent.click(within(alert).getByRole('button', { name: 'Acknowledge' }));
    await waitFor(() => expect(screen.queryByRole('alert', { name: 'Scheduled backup failed' })).toBeNull());
    expect(api.calls.find((c) => c.channel === 'schedule.acknowledge')!.request).toEqual({ environmentId: 'sandbox' });
  });

  it('follows schedule.changed: running, then the list re-read when the run finishes', async () => {
    const api = scheduleApi({ ...EMPTY, settings: { cadence: { kind: 'interval', hours: 1 }, keep: null, maxAgeDays: null, includeServer: false }, nextRun: NEXT });
    const { store } = await renderWithStore(<SchedulePanel environmentId="sandbox" />, api as unknown as FakeApi);
    await store.getState().loadBackups('sandbox');
    await screen.findByText(/Next run:/);
    const lists = () => api.calls.filter((c) => c.channel === 'backups.list').length;
    const before = lists();
    act(() => api.base.emit('schedule.changed', { ...EMPTY, settings: store.getState().schedule.byEnvironment.sandbox!.settings, running: true }));
    expect(screen.getByText('Running now…')).toBeTruthy();
    act(() =>
      api.base.emit('schedule.changed', {
        ...EMPTY,
        settings: store.getState().schedule.byEnvironment.sandbox!.settings,
        nextRun: '2025-03-01T15:00:00.000Z',
        lastRun: { started: NEXT, finished: NEXT, ok: true, backupId: 'b', localPath: '/b/x.tar.gz', message: 'Backup b created (x.tar.gz).', catchUp: false, acknowledged: true },
      }),
    );
    expect(screen.queryByText('Running now…')).toBeNull();
    expect(screen.getByText(/Backup b created \(x\.tar\.gz\)\./)).toBeTruthy();
    await waitFor(() => expect(lists()).toBe(before + 1));
  });

  it('never shows another environment’s schedule', async () => {
    const api = scheduleApi({ ...EMPTY, settings: { cadence: { kind: 'interval', hours: 2 }, keep: null, maxAgeDays: null, includeServer: false }, nextRun: NEXT });
    await renderWithStore(<SchedulePanel environmentId="sandbox" />, api as unknown as FakeApi);
    await screen.findByText(/Next run:/);
    act(() => api.base.emit('schedule.changed', { ...EMPTY, environmentId: 'prod', settings: { cadence: { kind: 'daily', time: '01:00' }, keep: null, maxAgeDays: null, includeServer: false } }));
    expect(screen.queryByText(/daily at 01:00/)).toBeNull();
    expect(screen.getByText('Backs up every 2 hours; no retention.')).toBeTruthy();
  });
});
