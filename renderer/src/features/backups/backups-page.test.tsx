// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupListItem, BackupPlan } from '../../../../shared/ipc/channels/backups';
import type { QuorumApi, RequestChannel } from '../../../../shared/ipc/contract';
import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import { createFakeApi, type FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { BackupsPage } from './backups-page';

afterEach(cleanup);

const UUID = 'f41b1639-09b3-4eb7-8fbf-0927558cdf44';
const PLAN: BackupPlan = {
  machines: [
    { machineId: '0', address: '10.23.0.10', voting: true, healthy: true, primary: true },
    { machineId: '1', address: '10.23.0.11', voting: true, healthy: true, primary: false },
  ],
  suggestedMachineId: '0',
  defaultFolder: '/home/op/.config/Quorum/backups',
  defaultFilename: 'juju-backup-20250101-000000.tar.gz',
  noDownloadWarning: 'downloading backup archives is recommended; backups stored remotely are not guaranteed to be available',
};

function item(id: string, location: BackupListItem['location'], started: string, size: number): BackupListItem {
  return {
    id,
    location,
    localPath: location === 'server' ? null : `/home/op/.config/Quorum/backups/juju-backup-${id.slice(0, 15)}.tar.gz`,
    checksumState: 'verified',
    metadata: { id, checksum: 'abc=', checksumFormat: 'SHA-1, base64 encoded', size, stored: started, started, finished: started, notes: '', environment: UUID, machine: '0', hostname: 'juju-0', version: '1.25.6' },
  };
}

function backupsApi() {
  const base: FakeApi = createFakeApi();
  const calls: { channel: RequestChannel; request: unknown }[] = [];
  let items: BackupListItem[] = [item(`20250102-000000.${UUID}`, 'both', '2025-01-02T00:00:00.000Z', 2000), item(`20250101-000000.${UUID}`, 'server', '2025-01-01T00:00:00.000Z', 9000)];
  const api: QuorumApi & { calls: typeof calls; base: FakeApi; setItems(i: BackupListItem[]): void } = {
    calls,
    base,
    setItems: (i) => (items = i),
    on: base.on.bind(base),
    async invoke(channel, request) {
      calls.push({ channel, request });
      switch (channel) {
        case 'backups.plan':
          return { ok: true, value: PLAN } as never;
        case 'backups.list':
          return { ok: true, value: { folder: PLAN.defaultFolder, items, invalid: [{ localPath: '/x/photos.tar.gz', reason: 'there is no juju-backup/metadata.json (not a Juju 1.21+ backup)' }], serverError: null } } as never;
        case 'backups.create':
          return { ok: true, value: { operationId: 'op-backup-1' } } as never;
        case 'backups.remove':
          return { ok: true, value: { removed: (request as { id: string }).id } } as never;
        default:
          return base.invoke(channel, request);
      }
    },
  };
  return api;
}

function snapshot(state: OperationSnapshot['state'], progress: OperationSnapshot['progress'], result?: unknown): OperationSnapshot {
  return { id: 'op-backup-1', kind: 'backup.create', environmentId: 'sandbox', title: 'Create backup', state, startedAt: new Date().toISOString(), progress, log: [], ...(result === undefined ? {} : { result }) };
}

describe('backups page', () => {
  it('creates a backup from the suggested machine, shows progress, then the metadata block', async () => {
    const api = backupsApi();
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    const machine = await screen.findByLabelText('State server');
    await waitFor(() => expect((machine as HTMLSelectElement).value).toBe('0'));
    fireEvent.change(screen.getByLabelText('Notes'), { target: { value: 'before upgrade' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create backup' }));
    await waitFor(() => expect(api.calls.some((c) => c.channel === 'backups.create')).toBe(true));
    expect(api.calls.find((c) => c.channel === 'backups.create')!.request).toEqual({ environmentId: 'sandbox', notes: 'before upgrade', keepLocal: true });

    act(() => api.base.emit('operation.progress', snapshot('running', { phase: 'dumping', message: 'Dumping collection 3 of 12 (juju.units)', step: 3, steps: 12, bytes: 5 * 1024 * 1024, rate: 2 * 1024 * 1024 })));
    expect(screen.getByText('Dumping collection 3 of 12 (juju.units)')).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'Backup progress' }).getAttribute('aria-valuenow')).toBe('25');
    expect(screen.getByText(/5\.0 MiB · 2\.0 MiB\/s/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel backup' })).toBeTruthy();

    const m = item(`20250103-101112.${UUID}`, 'both', '2025-01-03T10:11:12.000Z', 1234).metadata;
    act(() => api.base.emit('operation.finished', snapshot('succeeded', { phase: 'storing', message: 'done' }, { metadata: { ...m, notes: 'before upgrade' }, localPath: '/b/juju-backup-20250103-101112.tar.gz', warning: null })));
    const block = screen.getByLabelText('Backup metadata');
    expect(block.textContent).toContain(`backup ID:       "20250103-101112.${UUID}"`);
    expect(block.textContent).toContain('notes:           "before upgrade"');
    expect(block.textContent).toContain('juju version:    1.25.6');
    expect(screen.getByText('downloading to /b/juju-backup-20250103-101112.tar.gz')).toBeTruthy();
  });

  it('warns like --no-download when the local copy is turned off', async () => {
    const api = backupsApi();
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    fireEvent.click(await screen.findByLabelText('Keep a local copy'));
    expect(screen.getByRole('note').textContent).toBe(`WARNING: ${PLAN.noDownloadWarning}`);
    expect(screen.queryByLabelText('Folder')).toBeNull();
  });

  it('lists archives with location and checksum, sorts by size, lists invalid files, and confirms removal', async () => {
    const api = backupsApi();
    await renderWithStore(<BackupsPage />, api as unknown as FakeApi);
    const table = await screen.findByRole('table', { name: 'Backups' });
    const ids = () => within(table).getAllByRole('row').slice(1).map((r) => r.getAttribute('aria-label'));
    expect(ids()).toEqual([`Backup 20250102-000000.${UUID}`, `Backup 20250101-000000.${UUID}`]);
    fireEvent.click(within(table).getByRole('button', { name: 'Size' }));
    expect(ids()).toEqual([`Backup 20250102-000000.${UUID}`, `Backup 20250101-000000.${UUID}`]);
    fireEvent.click(within(table).getByRole('button', { name: 'Size' }));
    expect(ids()).toEqual([`Backup 20250101-000000.${UUID}`, `Backup 20250102-000000.${UUID}`]);
    expect(within(table).getByText('on server')).toBeTruthy();
    expect(within(table).getByText('both')).toBeTruthy();
    expect(screen.getByRole('list', { name: 'Invalid archives' }).textContent).toContain('no juju-backup/metadata.json');

    fireEvent.click(screen.getByRole('button', { name: `Remove 20250101-000000.${UUID} from server` }));
    const dialog = screen.getByRole('dialog', { name: 'Remove backup from the server?' });
    expect(api.calls.some((c) => c.channel === 'backups.remove')).toBe(false);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await screen.findByText(`successfully removed: 20250101-000000.${UUID}`);
    expect(api.calls.filter((c) => c.channel === 'backups.remove').map((c) => c.request)).toEqual([{ environmentId: 'sandbox', id: `20250101-000000.${UUID}` }]);
  });
});
