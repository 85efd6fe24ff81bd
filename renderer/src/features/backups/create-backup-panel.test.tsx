// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SerializedError } from '../../../../shared/errors';
import type { BackupPlan } from '../../../../shared/ipc/channels/backups';
import type { QuorumApi } from '../../../../shared/ipc/contract';
import type { Result } from '../../../../shared/ipc/envelope';
import { createAppStore } from '../../store/create-app-store';
import { createFakeApi, operationSnapshot, type FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { BackupsPage } from './backups-page';
import { CreateBackupButton } from './create-backup-button';
import { selectPlanState } from './selectors';

afterEach(cleanup);

const PLAN: BackupPlan = {
  machines: [
    { machineId: '0', address: '10.23.0.10', voting: true, healthy: true, primary: true },
    { machineId: '1', address: '10.23.0.11', voting: true, healthy: true, primary: false },
  ],
  suggestedMachineId: '0',
  defaultFolder: '/b',
  defaultFilename: 'juju-backup-20250101-000000.tar.gz',
  noDownloadWarning: 'w',
};
const DOWN: SerializedError = { code: 'mongo-unavailable', message: "juju-db's port is closed on machine 0 (10.23.0.10): juju-db is down." };

/** A fake API whose plan answers are released by the test, one request at a time. */
function planApi(options: { serverError?: SerializedError } = {}) {
  const base: FakeApi = createFakeApi();
  const pending: Array<(r: Result<BackupPlan>) => void> = [];
  const api: QuorumApi & { answer(r: Result<BackupPlan>, index?: number): Promise<void>; requests(): number } = {
    on: base.on.bind(base),
    async invoke(channel, request) {
      if (channel === 'backups.plan') return new Promise((resolve) => pending.push(resolve as (r: Result<BackupPlan>) => void)) as never;
      if (channel === 'backups.list') return { ok: true, value: { folder: '/b', items: [], invalid: [], serverError: options.serverError ?? null } } as never;
      return base.invoke(channel, request);
    },
    answer: async (r, index = 0) => {
      await act(async () => pending.splice(index, 1)[0]?.(r));
    },
    requests: () => pending.length,
  };
  return api;
}

const field = () => screen.getByLabelText('State server');
const createButton = () => screen.getByRole('button', { name: 'Create backup' });
const reason = () => document.getElementById(createButton().getAttribute('aria-describedby') ?? '')?.textContent ?? null;

describe('plan state', () => {
  it('is one of loading, error, ready in the slice; Retry goes back to loading; a stale answer is dropped', async () => {
    const api = planApi();
    const store = createAppStore(api);
    await store.getState().loadEnvironments();
    const first = store.getState().loadBackupPlan('sandbox');
    expect(selectPlanState(store.getState())).toEqual({ environmentId: 'sandbox', status: 'loading' });
    await api.answer({ ok: false, error: DOWN });
    await first;
    expect(selectPlanState(store.getState())).toEqual({ environmentId: 'sandbox', status: 'error', error: DOWN });

    // Retry twice: only the last request's answer counts.
    const again = store.getState().loadBackupPlan('sandbox');
    const last = store.getState().loadBackupPlan('sandbox');
    expect(selectPlanState(store.getState())).toEqual({ environmentId: 'sandbox', status: 'loading' });
    await api.answer({ ok: true, value: PLAN }, 1);
    await last;
    await api.answer({ ok: false, error: DOWN });
    await again;
    expect(selectPlanState(store.getState())).toEqual({ environmentId: 'sandbox', status: 'ready', plan: PLAN });
  });
});

describe('create backup panel', () => {
  it('loading: the field reads the replica set, no error, Create disabled with the reason beside it', async () => {
    const api = planApi();
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    await waitFor(() => expect(api.requests()).toBe(1));
    expect(field().textContent).toBe('Reading the replica set…');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(createButton()).toHaveProperty('disabled', true);
    expect(reason()).toContain('Waiting for the state servers');
  });

  it('error: the reason at once, no "Reading the replica set…", Create disabled saying why; Retry loads again', async () => {
    const api = planApi();
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    await waitFor(() => expect(api.requests()).toBe(1));
    await api.answer({ ok: false, error: DOWN });
    expect(screen.getByText(DOWN.message)).toBeTruthy();
    expect(screen.queryByText('Reading the replica set…')).toBeNull();
    expect(field().textContent).toBe('Unavailable: the replica set cannot be read');
    expect(createButton()).toHaveProperty('disabled', true);
    expect(reason()).toContain('cannot read the replica set');

    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(screen.queryByText(DOWN.message)).toBeNull();
    expect(field().textContent).toBe('Reading the replica set…');
    await api.answer({ ok: true, value: PLAN });
    expect((field() as HTMLSelectElement).value).toBe('0');
    expect(createButton()).toHaveProperty('disabled', false);
    expect(createButton().getAttribute('aria-describedby')).toBeNull();
  });

  it('error: the archive list does not repeat the same reason, and the folder is still suggested', async () => {
    const api = planApi({ serverError: DOWN });
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    await waitFor(() => expect(api.requests()).toBe(1));
    await api.answer({ ok: false, error: DOWN });
    expect(screen.getAllByText(DOWN.message)).toHaveLength(1);
    expect(screen.getByText(/unavailable for the same reason as above; local archives are shown/)).toBeTruthy();
    expect(screen.getByLabelText('Folder').getAttribute('placeholder')).toBe('/b');
  });

  it('ready with no healthy state server: Create disabled, saying so', async () => {
    const api = planApi();
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    await waitFor(() => expect(api.requests()).toBe(1));
    await api.answer({ ok: true, value: { ...PLAN, suggestedMachineId: null, machines: PLAN.machines.map((m) => ({ ...m, healthy: false, primary: false })) } });
    expect(createButton()).toHaveProperty('disabled', true);
    expect(reason()).toContain('No state server is healthy enough');
  });
});

describe('create backup button (topology page)', () => {
  it('is disabled only while a backup of this environment runs, saying so beside it', async () => {
    const api = createFakeApi();
    api.setOperations([operationSnapshot({ environmentId: 'juju:other' })]);
    const { store } = await renderWithStore(<CreateBackupButton />, api);
    expect(createButton()).toHaveProperty('disabled', false);
    act(() => store.getState().applyOperation(operationSnapshot({ id: 'op-backup-000002' })));
    expect(createButton()).toHaveProperty('disabled', true);
    expect(reason()).toBe('A backup of this environment is running: follow it on the Backups page.');
  });
});
