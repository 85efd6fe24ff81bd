// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../app';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { inspectResult, restoreApi, runOf, step, type RestoreTestApi } from './restore-test-api';

/**
 * The Restore page's Retry buttons: each one re-runs the action that failed
 * with the same inputs, is disabled while that runs, and the error goes
 * once it succeeds.
 */

afterEach(cleanup);

const LIBRARY_COPY = { localPath: '/backups/juju-backup-20250615-150640.tar.gz' };

/** The whole app with an archive from the library (a path the operator can fix in place) opened. */
async function opened(api: RestoreTestApi) {
  const view = await renderWithStore(<App />, api as unknown as FakeApi);
  await act(async () => {
    await view.store.getState().openRestoreArchive(LIBRARY_COPY, 'juju-backup-20250615-150640.tar.gz');
  });
  return view;
}

function alertTitled(title: string): HTMLElement {
  return screen.getByText(title).closest('[role="alert"]') as HTMLElement;
}

describe('Retry inspect', () => {
  it('an inspection that failed offers Retry inspect, which inspects the same file again; success shows the verdict', async () => {
    const api = restoreApi();
    api.failNext('restore.inspect', { code: 'archive-invalid', message: '/backups/juju-backup-20250615-150640.tar.gz is not a usable Juju backup: the gzip stream ends early (truncated).' });
    await opened(api);
    const alert = await waitFor(() => alertTitled('This archive is refused; nothing was touched'));
    expect(alert.textContent).toContain('the gzip stream ends early');
    // Not a copy Quorum received: no "drop it again" hint.
    expect(screen.queryByText(/reads the copy Quorum received again/)).toBeNull();

    fireEvent.click(within(alert).getByRole('button', { name: 'Retry inspect' }));
    await waitFor(() => expect(api.callsTo('restore.inspect')).toHaveLength(2));
    expect(api.callsTo('restore.inspect')[1]).toEqual(api.callsTo('restore.inspect')[0]);
    expect(api.callsTo('restore.inspect')[1]).toEqual({ archive: LIBRARY_COPY, environmentId: 'sandbox' });
    // The operator's file is never discarded by a retry.
    expect(api.callsTo('restore.discard')).toEqual([]);
    expect(screen.queryByText('This archive is refused; nothing was touched')).toBeNull();
    expect(screen.getByText('Inspecting the archive…')).toBeTruthy();

    api.finish('op-inspect-0001', 'succeeded', inspectResult());
    expect((await screen.findByRole('status', { name: 'Verdict' })).textContent).toContain('Restorable');
    expect(screen.queryByRole('button', { name: 'Retry inspect' })).toBeNull();
  });

  it('a cancelled inspection says so and Retry inspect starts it again', async () => {
    const api = restoreApi();
    await opened(api);
    await waitFor(() => expect(api.callsTo('restore.inspect')).toHaveLength(1));
    api.finish('op-inspect-0001', 'cancelled');
    const alert = await waitFor(() => alertTitled('The inspection was cancelled'));
    api.failNext('restore.inspect', { code: 'not-found', message: '/backups/juju-backup-20250615-150640.tar.gz cannot be read. Check that it exists and that Quorum may read it.' });
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry inspect' }));
    // Failing again shows the new reason, with the button again.
    const again = await waitFor(() => alertTitled('This archive is refused; nothing was touched'));
    expect(again.textContent).toContain('cannot be read');
    expect(within(again).getByRole('button', { name: 'Retry inspect' })).toBeTruthy();
    expect(api.callsTo('restore.inspect')).toHaveLength(2);
  });
});

/** Inspected and checked (everything passes in the fake), then Start restore confirmed. */
async function startConfirmed(api: RestoreTestApi) {
  await opened(api);
  await waitFor(() => expect(api.callsTo('restore.inspect')).toHaveLength(1));
  api.finish('op-inspect-0001', 'succeeded', inspectResult());
  await waitFor(() => expect((screen.getByRole('button', { name: 'Start restore…' }) as HTMLButtonElement).disabled).toBe(false));
  fireEvent.click(screen.getByRole('button', { name: 'Start restore…' }));
  fireEvent.click(within(screen.getByRole('dialog', { name: 'Start the restore?' })).getByRole('button', { name: 'Start restore' }));
  await waitFor(() => expect(api.callsTo('restore.start')).toHaveLength(1));
}

describe('Retry start', () => {
  it('a restore that could not start offers Retry start, which asks for the same restore again; once it starts the error goes', async () => {
    const api = restoreApi();
    api.failNext('restore.start', { code: 'conflict', message: '"Create backup" is still running on sandbox. Wait for it to finish or cancel it, then try again.' });
    await startConfirmed(api);
    const alert = await waitFor(() => alertTitled('The restore could not start'));
    expect(alert.textContent).toContain('then try again');

    fireEvent.click(within(alert).getByRole('button', { name: 'Retry start' }));
    await waitFor(() => expect(api.callsTo('restore.start')).toHaveLength(2));
    expect(api.callsTo('restore.start')[1]).toEqual(api.callsTo('restore.start')[0]);
    expect(await screen.findByRole('heading', { level: 2, name: 'Restore' })).toBeTruthy();
    expect(screen.queryByText('The restore could not start')).toBeNull();
  });
});

describe('Retry restore', () => {
  it('a failed restore offers Retry restore beside Back to the pre-checks: the same restore again, its new run replacing the failed one', async () => {
    const api = restoreApi();
    await startConfirmed(api);
    api.progress(runOf('op-restore-0001', { 'copy-backup': step('copy-backup', 'failed', { error: 'The upload broke off.' }) }, { state: 'failed', restoreStatus: 'FAILED' }));
    api.finish('op-restore-0001', 'failed', undefined, { code: 'host-unreachable', message: 'The upload to 10.23.0.20 broke off after 1 of 2 bytes: connection reset. Nothing on the replacement was wiped; retry from the start.' });
    const alert = await waitFor(() => alertTitled('The restore failed'));
    expect(screen.getByRole('button', { name: 'Back to the pre-checks' })).toBeTruthy();

    fireEvent.click(within(alert).getByRole('button', { name: 'Retry restore' }));
    await waitFor(() => expect(api.callsTo('restore.start')).toHaveLength(2));
    expect(api.callsTo('restore.start')[1]).toEqual(api.callsTo('restore.start')[0]);
    await waitFor(() => expect(screen.queryByText('The restore failed')).toBeNull());
    api.progress(runOf('op-restore-0002', { 'copy-backup': step('copy-backup', 'running') }));
    expect((await screen.findByRole('status', { name: 'Restore status' })).textContent).toContain('Restore running');
  });

  it('a cancelled restore offers no Retry (cancelling was the operator’s choice)', async () => {
    const api = restoreApi();
    await startConfirmed(api);
    api.finish('op-restore-0001', 'cancelled');
    await waitFor(() => alertTitled('The restore was cancelled'));
    expect(screen.queryByRole('button', { name: 'Retry restore' })).toBeNull();
  });
});
