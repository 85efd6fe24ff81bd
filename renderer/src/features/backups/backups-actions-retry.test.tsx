// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SerializedError } from '../../../../shared/errors';
import type { BackupListItem, BackupPlan } from '../../../../shared/ipc/channels/backups';
import type { QuorumApi, RequestChannel } from '../../../../shared/ipc/contract';
import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import { createFakeApi, type FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { BackupsPage } from './backups-page';

/** The Backups page's Retry buttons: a backup asked for again as it was, a row's action run again on the same backup. */

afterEach(cleanup);

const UUID = 'f41b1639-09b3-4eb7-8fbf-0927558cdf44';
const ID = `20250102-000000.${UUID}`;
const PLAN: BackupPlan = { machines: [{ machineId: '0', address: '10.23.0.10', voting: true, healthy: true, primary: true }], suggestedMachineId: '0', defaultFolder: '/b', defaultFilename: 'juju-backup.tar.gz', noDownloadWarning: 'w' };
const ITEM: BackupListItem = {
  id: ID,
  location: 'server',
  localPath: null,
  checksumState: 'verified',
  metadata: { id: ID, checksum: 'abc=', checksumFormat: 'SHA-1, base64 encoded', size: 10, stored: '2025-01-02T00:00:00.000Z', started: '2025-01-02T00:00:00.000Z', finished: null, notes: '', environment: UUID, machine: '0', hostname: 'juju-0', version: '1.25.6' },
};
const UNREACHABLE: SerializedError = { code: 'host-unreachable', message: 'No state server of sandbox can be reached. Check the Topology page, then try again.' };

function backupsApi() {
  const base: FakeApi = createFakeApi();
  const calls: { channel: RequestChannel; request: unknown }[] = [];
  const failures = new Map<RequestChannel, SerializedError>();
  let creates = 0;
  const api: QuorumApi & { base: FakeApi; failNext(c: RequestChannel, e: SerializedError): void; callsTo(c: RequestChannel): unknown[] } = {
    base,
    failNext: (c, e) => failures.set(c, e),
    callsTo: (c) => calls.filter((x) => x.channel === c).map((x) => x.request),
    on: base.on.bind(base),
    async invoke(channel, request) {
      calls.push({ channel, request });
      const failure = failures.get(channel);
      if (failure !== undefined) {
        failures.delete(channel);
        return { ok: false, error: failure } as never;
      }
      switch (channel) {
        case 'backups.plan':
          return { ok: true, value: PLAN } as never;
        case 'backups.list':
          return { ok: true, value: { folder: '/b', items: [ITEM], invalid: [], serverError: null } } as never;
        case 'backups.create':
          return { ok: true, value: { operationId: `op-backup-${++creates}` } } as never;
        case 'backups.download':
        case 'backups.verify':
          return { ok: true, value: { operationId: 'op-x' } } as never;
        default:
          return base.invoke(channel, request);
      }
    },
  };
  return api;
}

function operation(id: string, state: OperationSnapshot['state'], error?: SerializedError): OperationSnapshot {
  return { id, kind: 'backup.create', environmentId: 'sandbox', title: 'Create backup', state, startedAt: '2025-01-02T00:00:00.000Z', progress: { phase: 'dump', message: 'Dumping' }, log: [], ...(error ? { error } : {}) };
}

async function createWithNotes(api: ReturnType<typeof backupsApi>) {
  await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
  await waitFor(() => expect((screen.getByLabelText('State server') as HTMLSelectElement).value).toBe('0'));
  fireEvent.change(screen.getByLabelText('Notes'), { target: { value: 'before upgrade' } });
  fireEvent.click(screen.getByRole('button', { name: 'Create backup' }));
  await waitFor(() => expect(api.callsTo('backups.create')).toHaveLength(1));
}

const alertTitled = (title: string) => screen.getByText(title).closest('[role="alert"]') as HTMLElement;

describe('Retry backup', () => {
  it('a backup that could not start offers Retry backup: the same request again; once it starts the error goes', async () => {
    const api = backupsApi();
    api.failNext('backups.create', { code: 'conflict', message: '"Restore" is still running on sandbox. Wait for it to finish or cancel it, then try again.' });
    await createWithNotes(api);
    const alert = await waitFor(() => alertTitled('The backup could not start'));
    // The form changing meanwhile does not change what is retried.
    fireEvent.change(screen.getByLabelText('Notes'), { target: { value: 'something else' } });
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry backup' }));
    await waitFor(() => expect(api.callsTo('backups.create')).toHaveLength(2));
    expect(api.callsTo('backups.create')[1]).toEqual(api.callsTo('backups.create')[0]);
    expect(api.callsTo('backups.create')[0]).toEqual({ environmentId: 'sandbox', notes: 'before upgrade', keepLocal: true });
    await waitFor(() => expect(screen.queryByText('The backup could not start')).toBeNull());
  });

  it('a backup that failed offers Retry backup, disabled while the new one runs; the new one replaces the failure', async () => {
    const api = backupsApi();
    await createWithNotes(api);
    act(() => api.base.emit('operation.finished', operation('op-backup-1', 'failed', UNREACHABLE)));
    const alert = await waitFor(() => alertTitled('The backup failed'));
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry backup' }));
    await waitFor(() => expect(api.callsTo('backups.create')).toHaveLength(2));
    expect(api.callsTo('backups.create')[1]).toEqual(api.callsTo('backups.create')[0]);
    act(() => api.base.emit('operation.progress', operation('op-backup-2', 'running')));
    await waitFor(() => expect(screen.queryByText('The backup failed')).toBeNull());
  });
});

describe('Retry a row action', () => {
  it('a download that could not start offers Retry download, which downloads the same backup; success replaces the error', async () => {
    const api = backupsApi();
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    api.failNext('backups.download', UNREACHABLE);
    fireEvent.click(await screen.findByRole('button', { name: `Download ${ID}` }));
    const alert = await screen.findByText(UNREACHABLE.message).then((p) => p.closest('[role="alert"]') as HTMLElement);
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry download' }));
    await waitFor(() => expect(api.callsTo('backups.download')).toHaveLength(2));
    expect(api.callsTo('backups.download')[1]).toEqual({ environmentId: 'sandbox', id: ID, folder: '/b' });
    expect(api.callsTo('backups.download')[1]).toEqual(api.callsTo('backups.download')[0]);
    expect(await screen.findByText(`Downloading ${ID}…`)).toBeTruthy();
    expect(screen.queryByText(UNREACHABLE.message)).toBeNull();
  });

  it('a verify that failed offers Retry verify for that backup', async () => {
    const api = backupsApi();
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    api.failNext('backups.verify', UNREACHABLE);
    fireEvent.click(await screen.findByRole('button', { name: `Verify ${ID}` }));
    const alert = await screen.findByText(UNREACHABLE.message).then((p) => p.closest('[role="alert"]') as HTMLElement);
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry verify' }));
    await waitFor(() => expect(api.callsTo('backups.verify')).toEqual([{ environmentId: 'sandbox', id: ID }, { environmentId: 'sandbox', id: ID }]));
    expect(await screen.findByText('Verifying the checksum…')).toBeTruthy();
  });
});
