// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { RESTORE_STEP_TITLES } from '../../../../shared/ipc/channels/restore';
import { App } from '../../app';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import {
  check,
  inspectResult,
  precheckOf,
  restoreApi,
  resultOf,
  row,
  runOf,
  STAGED,
  step,
  UUID,
  type RestoreTestApi,
} from './restore-test-api';

afterEach(cleanup);

const SEED_TITLES = [
  'extracted credentials from backup file',
  're-bootstrapping environment',
  'connecting to newly bootstrapped instance',
  'restoring bootstrap machine',
  'copying backup file to bootstrap host',
  'updating bootstrap machine',
  'restored bootstrap machine',
  'opening state',
  'updating all machines',
];

function archiveFile(name = 'juju-backup-20250615-150640.tar.gz', bytes = 64): File {
  return new File([new Uint8Array(bytes)], name, { type: 'application/gzip' });
}

/** A DataTransfer as jsdom lacks one: files, their items (folders marked as Chromium does), and the Files type. */
function transfer(entries: { file: File; directory?: boolean }[]) {
  return {
    types: ['Files'],
    files: entries.map((e) => e.file),
    items: entries.map((e) => ({ kind: 'file', webkitGetAsEntry: () => ({ isDirectory: e.directory === true }) })),
    dropEffect: 'none',
  };
}

/** The whole app over the fake restore service (it carries `stageFile`, as the bridge does). */
function show(api: RestoreTestApi) {
  return renderWithStore(<App />, api as unknown as FakeApi);
}

/** The steps themselves, not the lines of their logs. */
function stepItems(list: HTMLElement): HTMLElement[] {
  return within(list)
    .getAllByRole('listitem')
    .filter((li) => li.parentElement === list);
}

async function drop(entries: { file: File; directory?: boolean }[]) {
  const dataTransfer = transfer(entries);
  fireEvent.dragEnter(window, { dataTransfer });
  await act(async () => {
    fireEvent.drop(window, { dataTransfer });
  });
}

/** Renders the whole app, drops an archive and finishes its inspection. */
async function inspected(api: RestoreTestApi = restoreApi(), result = inspectResult()) {
  const view = await show(api);
  await drop([{ file: archiveFile() }]);
  await waitFor(() => expect(api.callsTo('restore.inspect')).toHaveLength(1));
  api.finish('op-inspect-0001', 'succeeded', result);
  return { api, ...view };
}

describe('drop anywhere', () => {
  it('shows the drop target while files are dragged and hides it when the drag leaves', async () => {
    await show(restoreApi());
    expect(screen.queryByRole('region', { name: 'Drop target' })).toBeNull();
    fireEvent.dragEnter(window, { dataTransfer: transfer([]) });
    expect(screen.getByRole('region', { name: 'Drop target' }).textContent).toContain('Drop a Juju backup to restore from it');
    fireEvent.dragLeave(window, { dataTransfer: transfer([]), relatedTarget: null });
    expect(screen.queryByRole('region', { name: 'Drop target' })).toBeNull();
    // A drag without files (text within the page) shows nothing.
    fireEvent.dragEnter(window, { dataTransfer: { types: ['text/plain'], files: [], items: [] } });
    expect(screen.queryByRole('region', { name: 'Drop target' })).toBeNull();
  });

  it('refuses a non-archive, a folder and several files with a clear message, touching nothing', async () => {
    const api = restoreApi();
    const { store } = await show(api);

    await drop([{ file: new File(['hello'], 'notes.txt', { type: 'text/plain' }) }]);
    expect(store.getState().section).toBe('restore');
    expect(screen.queryByRole('region', { name: 'Drop target' })).toBeNull();
    const refused = screen.getByRole('alert', { name: 'Archive refused' });
    expect(refused.textContent).toContain('"notes.txt" is not a backup archive');
    expect(refused.textContent).toContain('.tar.gz or .tgz');

    await drop([{ file: new File([], 'backups.tar.gz'), directory: true }]);
    expect(screen.getByRole('alert', { name: 'Archive refused' }).textContent).toContain('"backups.tar.gz" is a folder, not a backup archive');

    await drop([{ file: archiveFile('a.tgz') }, { file: archiveFile('b.tgz') }]);
    expect(screen.getByRole('alert', { name: 'Archive refused' }).textContent).toContain('2 items were dropped. Drop one backup archive');

    expect(api.staged).toEqual([]);
    expect(api.calls.filter((c) => c.channel.startsWith('restore.'))).toEqual([]);
  });

  it('stages a dropped archive, checks it with restore.stage, and inspects the staged path', async () => {
    const api = restoreApi();
    const { store } = await show(api);
    await drop([{ file: archiveFile() }]);
    await waitFor(() => expect(api.callsTo('restore.inspect')).toEqual([{ archive: { localPath: STAGED }, environmentId: 'sandbox' }]));
    expect(api.staged.map((f) => f.name)).toEqual(['juju-backup-20250615-150640.tar.gz']);
    expect(api.callsTo('restore.stage')).toEqual([{ localPath: STAGED }]);
    expect(store.getState().section).toBe('restore');
    expect(screen.getByText('Inspecting the archive…')).toBeTruthy();
    // Named as the operator knows it, not by the staged copy's name.
    expect(screen.getByText('juju-backup-20250615-150640.tar.gz', { selector: '.mono' })).toBeTruthy();
    expect(screen.queryByRole('alert', { name: 'Archive refused' })).toBeNull();
  });

  it('says why main refused the staged path (a folder Electron handed over)', async () => {
    const api = restoreApi();
    await show(api);
    api.failNext('restore.stage', { code: 'invalid-input', message: '/home/op/backups is a folder. Drop the archive file itself.' });
    await drop([{ file: archiveFile() }]);
    await waitFor(() => expect(screen.getByRole('alert', { name: 'Archive refused' }).textContent).toContain('/home/op/backups is a folder'));
    expect(api.callsTo('restore.inspect')).toEqual([]);
  });

  it('opens a picked file the same way', async () => {
    const api = restoreApi();
    const { store } = await show(api);
    act(() => store.getState().navigate('restore'));
    const input = screen.getByLabelText('Choose a backup archive');
    await act(async () => {
      fireEvent.change(input, { target: { files: [archiveFile('backup-19.tgz')] } });
    });
    await waitFor(() => expect(api.callsTo('restore.inspect')).toHaveLength(1));
    expect(api.staged.map((f) => f.name)).toEqual(['backup-19.tgz']);
  });
});

describe('inspection', () => {
  it('shows integrity, checksum, the 12 metadata keys, root.tar (collapsible), databases, oplog span and the verdict', async () => {
    await inspected();
    const verdict = await screen.findByRole('status', { name: 'Verdict' });
    expect(verdict.textContent).toContain('Restorable: Juju 1.25.6 restores this with --oplogReplay');
    expect(verdict.textContent).toContain('--drop --journal --oplogReplay --dbpath /var/lib/juju/db');

    const integrity = screen.getByLabelText('Integrity');
    expect(integrity.textContent).toContain('intact: CRC and length check out, 1.5 MiB → 9.0 MiB');
    expect(integrity.textContent).toContain("metadata.json, root.tar, dump/");
    expect(integrity.textContent).toMatch(/verified\s+matches the library's record/);

    const metadata = screen.getByLabelText('metadata.json');
    const terms = within(metadata).getAllByRole('term').map((t) => t.textContent);
    expect(terms).toEqual(['ID', 'Checksum', 'Checksum format', 'Size', 'Stored', 'Started', 'Finished', 'Notes', 'Environment', 'Machine', 'Hostname', 'Version']);
    expect(metadata.textContent).toContain(UUID);
    expect(screen.getByText(/From environment/).textContent).toContain('machine 0 (juju-sandbox-machine-0), Juju 1.25.6, started 2025-06-15 15:06:40 UTC, notes: “before upgrade”');

    const rootTar = screen.getByText(/^root\.tar: 3 files/).closest('details')!;
    expect(rootTar.open).toBe(false);
    fireEvent.click(within(rootTar).getByText(/^root\.tar/));
    expect(within(rootTar).getByRole('list', { name: 'Files in root.tar' }).textContent).toContain('var/lib/juju/agents/machine-0/agent.conf');

    const juju = screen.getByRole('table', { name: 'Database juju' });
    expect(within(juju).getByRole('row', { name: 'juju.units' }).textContent).toContain('52');
    expect(within(juju).getByRole('row', { name: 'juju.machines' }).textContent).toContain('5');
    expect(screen.getByRole('table', { name: 'Database admin' })).toBeTruthy();
    expect(screen.getByText(/^Database dump: 2 databases, 58 documents/)).toBeTruthy();
    expect(screen.getByLabelText('Oplog').textContent).toContain('from 2025-06-15 15:06:40 UTC to 2025-06-15 15:08:50 UTC (2 min 10 s)');
  });

  it('shows a refusal verdict with Juju’s words and offers no pre-checks or rehearsal', async () => {
    await inspected(restoreApi(), inspectResult({ allowed: false, reason: 'This archive has no metadata.json (a backup older than Juju 1.21).' }));
    const verdict = await screen.findByRole('alert', { name: 'Verdict' });
    expect(verdict.textContent).toContain('Juju will not restore this backup');
    expect(verdict.textContent).toContain('Juju says: cannot restore this backup version');
    expect(screen.queryByRole('heading', { name: 'Pre-checks' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Rehearse in a sandbox' })).toBeNull();
  });

  it('shows a hostile or damaged archive refused with the reason', async () => {
    const api = restoreApi();
    await show(api);
    await drop([{ file: archiveFile() }]);
    await waitFor(() => expect(api.callsTo('restore.inspect')).toHaveLength(1));
    api.finish('op-inspect-0001', 'failed', undefined, { code: 'unsafe-path', message: 'The archive holds ../../etc/passwd, a path leaving its folder. Quorum refuses it; nothing was written.' });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('This archive is refused; nothing was touched');
    expect(alert.textContent).toContain('../../etc/passwd');
  });

  it('marks a checksum that differs from the server’s record', async () => {
    await inspected(restoreApi(), inspectResult({ checksum: { state: 'mismatch', expected: 'AAAA', source: 'server' } }));
    expect((await screen.findByText(/differs from the state server's record \(AAAA\)/)).textContent).toBeTruthy();
  });
});

describe('pre-checks', () => {
  it('lists every check with pass/fail and why, and asks for both confirmations before Start', async () => {
    const api = restoreApi();
    api.setPrecheck((request) => {
      const c = request.confirmations ?? {};
      return precheckOf([
        check('archive', 'pass', 'Juju 1.25 restores with --oplogReplay.'),
        c.differentEnvironment
          ? check('environment', 'warn', 'The archive is from environment 11111111-2222-4333-8444-555555555555, not sandbox. You confirmed restoring it anyway.')
          : check('environment', 'fail', 'The archive is from environment 11111111-2222-4333-8444-555555555555, not sandbox. Confirm explicitly to restore it here.', 'different-environment'),
        check('origin-down', 'pass', 'Neither SSH nor juju-db answers on machine 0.'),
        c.typedEnvironmentName === 'sandbox'
          ? check('votes', 'warn', 'State server machine 1 still has a vote. You typed the environment name to go ahead.')
          : check('votes', 'fail', 'State server machine 1 still has a vote. Restore takes the remaining ones offline. Type the environment name (sandbox) to go ahead.', 'typed-environment-name'),
      ]);
    });
    await inspected(api);
    const list = await screen.findByRole('list', { name: 'Pre-check checklist' });
    expect(within(list).getAllByRole('listitem').map((li) => li.getAttribute('aria-label'))).toEqual([
      'The archive can be restored',
      'The archive belongs to this environment',
      'The initial state server (machine 0) is not up',
      'No state server still has a vote',
    ]);
    const environment = within(list).getByRole('listitem', { name: 'The archive belongs to this environment' });
    expect(environment.textContent).toMatch(/^fail/);
    expect(environment.textContent).toContain('Confirm explicitly');
    const start = screen.getByRole('button', { name: 'Start restore…' });
    expect((start as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(within(environment).getByRole('checkbox', { name: /Restore this archive from another environment into sandbox/ }));
    await waitFor(() => expect(api.callsTo('restore.precheck').at(-1)).toMatchObject({ confirmations: { differentEnvironment: true } }));
    await waitFor(() => expect(within(list).getByRole('listitem', { name: 'The archive belongs to this environment' }).textContent).toMatch(/^warn/));
    expect((start as HTMLButtonElement).disabled).toBe(true);

    fireEvent.change(screen.getByLabelText('Type sandbox to take the remaining state servers offline'), { target: { value: 'sandbox' } });
    await waitFor(() => expect(api.callsTo('restore.precheck').at(-1)).toMatchObject({ confirmations: { differentEnvironment: true, typedEnvironmentName: 'sandbox' } }));
    await waitFor(() => expect((screen.getByRole('button', { name: 'Start restore…' }) as HTMLButtonElement).disabled).toBe(false));

    fireEvent.click(screen.getByRole('button', { name: 'Start restore…' }));
    const dialog = screen.getByRole('dialog', { name: 'Start the restore?' });
    expect(dialog.textContent).toContain('asks the sandbox for a fresh machine 0');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start restore' }));
    await waitFor(() =>
      expect(api.callsTo('restore.start')).toEqual([
        { environmentId: 'sandbox', archive: { localPath: STAGED }, target: { kind: 'sandbox' }, confirmations: { differentEnvironment: true, typedEnvironmentName: 'sandbox' } },
      ]),
    );
  });

  it('Check again re-runs the checks once the machines changed (the old state server powered off meanwhile)', async () => {
    const api = restoreApi();
    let originUp = true;
    api.setPrecheck(() =>
      precheckOf([
        check('archive', 'pass', 'Juju 1.25 restores with --oplogReplay.'),
        originUp
          ? check('origin-down', 'fail', 'old bootstrap instance "i-0" still seems to exist; will not replace (its SSH still answers).')
          : check('origin-down', 'pass', 'Neither SSH nor juju-db answers on machine 0.'),
      ]),
    );
    await inspected(api);
    const list = await screen.findByRole('list', { name: 'Pre-check checklist' });
    await waitFor(() => expect(within(list).getByRole('listitem', { name: 'The initial state server (machine 0) is not up' }).textContent).toMatch(/^fail/));
    expect((screen.getByRole('button', { name: 'Start restore…' }) as HTMLButtonElement).disabled).toBe(true);
    const calls = api.callsTo('restore.precheck').length;

    originUp = false;
    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));
    await waitFor(() => expect(api.callsTo('restore.precheck')).toHaveLength(calls + 1));
    expect(api.callsTo('restore.precheck').at(-1)).toEqual(api.callsTo('restore.precheck').at(-2));
    await waitFor(() => expect(within(list).getByRole('listitem', { name: 'The initial state server (machine 0) is not up' }).textContent).toMatch(/^pass/));
    await waitFor(() => expect((screen.getByRole('button', { name: 'Start restore…' }) as HTMLButtonElement).disabled).toBe(false));
  });

  it('a pre-check that could not run offers Retry, which runs the same checks again', async () => {
    const api = restoreApi();
    api.failNext('restore.precheck', { code: 'timeout', message: 'juju-db on machine 1 did not answer within 8 s.' });
    await inspected(api);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The pre-checks could not run');
    expect(alert.textContent).toContain('juju-db on machine 1 did not answer within 8 s.');
    const calls = api.callsTo('restore.precheck');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await screen.findByRole('list', { name: 'Pre-check checklist' });
    expect(api.callsTo('restore.precheck')).toHaveLength(calls.length + 1);
    expect(api.callsTo('restore.precheck').at(-1)).toEqual(calls.at(-1));
    expect(screen.queryByText('The pre-checks could not run')).toBeNull();
  });

  it('checks a named host for a real environment target', async () => {
    const api = restoreApi();
    await inspected(api);
    await screen.findByRole('list', { name: 'Pre-check checklist' });
    fireEvent.click(screen.getByRole('radio', { name: 'A host I bootstrapped' }));
    expect(screen.getByText('Name the replacement host to run the checks.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Host address'), { target: { value: '10.5.0.64' } });
    fireEvent.change(screen.getByLabelText('SSH port'), { target: { value: '2222' } });
    await waitFor(() => expect(api.callsTo('restore.precheck').at(-1)).toMatchObject({ target: { kind: 'host', address: '10.5.0.64', sshPort: 2222 } }));
  });
});

async function started(api = restoreApi()) {
  const view = await inspected(api);
  await waitFor(() => expect((screen.getByRole('button', { name: 'Start restore…' }) as HTMLButtonElement).disabled).toBe(false));
  fireEvent.click(screen.getByRole('button', { name: 'Start restore…' }));
  fireEvent.click(within(screen.getByRole('dialog', { name: 'Start the restore?' })).getByRole('button', { name: 'Start restore' }));
  await waitFor(() => expect(api.callsTo('restore.start')).toHaveLength(1));
  return view;
}

describe('the run', () => {
  it('shows every step under the seed’s words, in order, with state, duration, bytes and log; Cancel until the point of no return', async () => {
    const api = restoreApi();
    await started(api);
    expect(Object.values(RESTORE_STEP_TITLES)).toEqual(SEED_TITLES);

    api.progress(
      runOf('op-restore-0001', {
        'extract-credentials': step('extract-credentials', 'succeeded', { durationMs: 120, log: [{ at: '2025-06-15T15:10:00.000Z', text: 'read agent.conf of machine-0', level: 'info' }] }),
        rebootstrap: step('rebootstrap', 'succeeded', { durationMs: 12_400 }),
        connect: step('connect', 'succeeded', { durationMs: 800 }),
        'restore-bootstrap': step('restore-bootstrap', 'succeeded', { durationMs: 10 }),
        'copy-backup': step('copy-backup', 'running', { bytes: 524_288, totalBytes: 1_572_864 }),
      }),
    );
    const steps = screen.getByRole('list', { name: 'Restore steps' });
    const items = stepItems(steps);
    expect(items.map((li) => li.getAttribute('aria-label'))).toEqual(SEED_TITLES);
    expect(items[0]!.textContent).toContain('done');
    expect(items[1]!.textContent).toContain('12.4 s');
    const copy = within(steps).getByRole('listitem', { name: 'copying backup file to bootstrap host' });
    expect(copy.textContent).toContain('running');
    expect(copy.textContent).toContain('512 KiB of 1.5 MiB');
    expect(within(copy).getByRole('progressbar', { name: 'Bytes of copying backup file to bootstrap host' })).toBeTruthy();
    expect(within(steps).getByRole('listitem', { name: 'updating bootstrap machine' }).textContent).toContain('point of no return');
    const log = within(items[0]!).getByText(/^Log of extracted credentials/).closest('details')!;
    expect(log.open).toBe(false);
    expect(within(log).getByRole('list', { name: 'Log of extracted credentials from backup file' }).textContent).toContain('read agent.conf of machine-0');

    expect(screen.getByRole('note', { name: 'Point of no return' }).textContent).toContain('/var/lib/juju, its db and /var/log/juju are recreated');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel restore' }));
    await waitFor(() => expect(api.callsTo('operations.cancel')).toEqual([{ operationId: 'op-restore-0001' }]));

    api.progress(
      runOf(
        'op-restore-0001',
        { 'update-bootstrap': step('update-bootstrap', 'running') },
        { pointOfNoReturn: { stepId: 'update-bootstrap', description: 'When /var/lib/juju is recreated.', passed: true }, cancellable: false, restoreStatus: 'RESTORING' },
      ),
    );
    expect(screen.queryByRole('button', { name: 'Cancel restore' })).toBeNull();
    expect(screen.getByRole('note', { name: 'Point of no return' }).textContent).toContain('Past the point of no return');
    expect(screen.getByRole('status', { name: 'Restore status' }).textContent).toContain('juju.restoreInfo: RESTORING');
  });

  it('shows a failed step with its message and lets the operator go back to retry from the start', async () => {
    const api = restoreApi();
    await started(api);
    api.progress(runOf('op-restore-0001', { 'copy-backup': step('copy-backup', 'failed', { error: 'No space left on device on 10.23.0.20.' }) }, { state: 'failed', restoreStatus: 'FAILED' }));
    api.finish('op-restore-0001', 'failed', undefined, { code: 'disk-full', message: 'The replacement ran out of disk while receiving the archive.' });
    const steps = screen.getByRole('list', { name: 'Restore steps' });
    expect(within(steps).getByRole('listitem', { name: 'copying backup file to bootstrap host' }).textContent).toContain('No space left on device');
    expect(screen.getAllByRole('alert').map((a) => a.textContent).join(' ')).toContain('The restore failed');
    fireEvent.click(screen.getByRole('button', { name: 'Back to the pre-checks' }));
    expect(await screen.findByRole('button', { name: 'Start restore…' })).toBeTruthy();
  });

  it('updating all machines: a row per machine, a failed one with its reason and a Retry that fixes it', async () => {
    const api = restoreApi();
    await started(api);
    api.progress(
      runOf('op-restore-0001', { 'update-all-machines': step('update-all-machines', 'running') }, {
        machines: [row('1', 'succeeded'), row('2', 'failed', { message: 'Update of machine "2" failed: ssh: connect to host 10.23.0.12 port 22: No route to host', reason: 'ssh: connect to host 10.23.0.12 port 22: No route to host' })],
      }),
    );
    const table = screen.getByRole('table', { name: 'Updating all machines' });
    expect(within(table).getByRole('row', { name: 'Machine 1' }).textContent).toContain('Succesful update of machine "1"');
    const failed = within(table).getByRole('row', { name: 'Machine 2' });
    expect(failed.textContent).toContain('failed');
    expect(failed.textContent).toContain('No route to host');
    expect(within(table).queryByRole('button', { name: 'Retry machine 1' })).toBeNull();

    api.setRetryAnswer(row('2', 'succeeded', { attempts: 2 }));
    fireEvent.click(within(failed).getByRole('button', { name: 'Retry machine 2' }));
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'Updating all machines' })).getByRole('row', { name: 'Machine 2' }).textContent).toContain('Succesful update of machine "2"'));
    expect(api.callsTo('restore.retryMachine')).toEqual([{ operationId: 'op-restore-0001', machineId: '2' }]);
    expect(within(screen.getByRole('table', { name: 'Updating all machines' })).queryByRole('button', { name: 'Retry machine 2' })).toBeNull();
  });

  it('keeps a failed row and says why when the retry itself fails', async () => {
    const api = restoreApi();
    await started(api);
    api.progress(runOf('op-restore-0001', {}, { machines: [row('2', 'failed', { reason: 'agent did not restart' })] }));
    api.setRetryAnswer({ code: 'host-unreachable', message: 'Machine 2 still does not answer over SSH.' });
    fireEvent.click(screen.getByRole('button', { name: 'Retry machine 2' }));
    const table = screen.getByRole('table', { name: 'Updating all machines' });
    await waitFor(() => expect(within(table).getByRole('alert').textContent).toContain('Machine 2 still does not answer over SSH.'));
    expect(within(table).getByRole('row', { name: 'Machine 2' }).textContent).toContain('failed');
  });
});

describe('after the restore', () => {
  it('says the environment has a single state server and offers Enable HA (3) and a new backup', async () => {
    const api = restoreApi();
    const { store } = await started(api);
    api.progress(runOf('op-restore-0001', {}, { state: 'succeeded', cancellable: false, restoreStatus: 'CHECKED' }));
    api.finish('op-restore-0001', 'succeeded', resultOf('restore', [row('1', 'succeeded'), row('2', 'failed', { reason: 'agent did not restart' })]));

    const result = await screen.findByRole('status', { name: 'Restore result' });
    expect(result.textContent).toContain('The environment now has a single state server: machine 0 (10.23.0.20).');
    expect(result.textContent).toContain('juju.restoreInfo: CHECKED');
    // The failed row stays retryable on the result page.
    expect(within(screen.getByRole('table', { name: 'Updating all machines' })).getByRole('button', { name: 'Retry machine 2' })).toBeTruthy();
    expect(within(screen.getByRole('table', { name: 'Machines after the restore' })).getByRole('row', { name: 'Machine 0' }).textContent).toContain('state server, has-vote');

    api.setHaPreview({ environmentId: 'sandbox', desired: 3, lines: ['maintaining machines: 0', 'adding machines: 3, 4'], noOp: false, changes: {}, before: [], after: [], error: null, advice: null, hazards: [] });
    fireEvent.click(screen.getByRole('button', { name: 'Enable HA (3)' }));
    const dialog = screen.getByRole('dialog', { name: 'Enable HA (3)?' });
    await waitFor(() => expect(within(dialog).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['maintaining machines: 0', 'adding machines: 3, 4']));
    expect(api.callsTo('ha.preview')).toEqual([{ environmentId: 'sandbox', n: 3 }]);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(api.callsTo('ha.apply')).toEqual([{ environmentId: 'sandbox', n: 3 }]));
    expect(store.getState().section).toBe('ha');
  });

  it("Enable HA (3): when Juju's plan cannot be read, Retry asks for it again", async () => {
    const api = restoreApi();
    await started(api);
    api.finish('op-restore-0001', 'succeeded', resultOf());
    api.failNext('ha.preview', { code: 'juju-api-unreachable', message: "The Juju API on machine 0 closed the connection. Check that the state server is up, then try again." });
    fireEvent.click(await screen.findByRole('button', { name: 'Enable HA (3)' }));
    const dialog = screen.getByRole('dialog', { name: 'Enable HA (3)?' });
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain("Juju's plan could not be read");
    api.setHaPreview({ environmentId: 'sandbox', desired: 3, lines: ['maintaining machines: 0', 'adding machines: 3, 4'], noOp: false, changes: {}, before: [], after: [], error: null, advice: null, hazards: [] });
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(within(dialog).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['maintaining machines: 0', 'adding machines: 3, 4']));
    expect(api.callsTo('ha.preview')).toEqual([
      { environmentId: 'sandbox', n: 3 },
      { environmentId: 'sandbox', n: 3 },
    ]);
  });

  it('Create a new backup starts one and opens Backups', async () => {
    const api = restoreApi();
    const { store } = await started(api);
    api.finish('op-restore-0001', 'succeeded', resultOf());
    fireEvent.click(await screen.findByRole('button', { name: 'Create a new backup' }));
    await waitFor(() => expect(api.callsTo('backups.create')).toEqual([{ environmentId: 'sandbox', notes: 'after restore' }]));
    expect(store.getState().section).toBe('backups');
  });
});

describe('rehearsal', () => {
  it('rehearses in a throwaway sandbox and shows the restored topology and machine list', async () => {
    const api = restoreApi();
    await inspected(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Rehearse in a sandbox' }));
    await waitFor(() => expect(api.callsTo('restore.rehearse')).toEqual([{ archive: { localPath: STAGED } }]));
    api.progress(runOf('op-rehearse-0001', { rebootstrap: step('rebootstrap', 'running') }, { mode: 'rehearsal' }));
    expect(stepItems(screen.getByRole('list', { name: 'Rehearsal steps' })).map((li) => li.getAttribute('aria-label'))).toEqual(SEED_TITLES);
    expect((screen.getByRole('button', { name: 'Rehearsing…' }) as HTMLButtonElement).disabled).toBe(true);
    // The real restore's steps are not shown for a rehearsal.
    expect(screen.queryByRole('list', { name: 'Restore steps' })).toBeNull();

    api.finish('op-rehearse-0001', 'succeeded', resultOf('rehearsal'));
    const region = await screen.findByRole('region', { name: 'Rehearsal result' });
    expect(region.textContent).toContain('The backup restores');
    const topology = within(region).getByRole('list', { name: 'Restored topology' });
    expect(within(topology).getByRole('listitem', { name: 'State server 0' }).textContent).toContain('has-vote');
    expect(within(topology).getByRole('listitem', { name: 'Workload machine 1' })).toBeTruthy();
    expect(within(within(region).getByRole('table', { name: 'Machines in the rehearsal' })).getAllByRole('row')).toHaveLength(3);
  });
});

describe('rehearsal that fails before its first step', () => {
  it('shows the operation’s own error, not restore.result’s “unknown run”', async () => {
    const api = restoreApi();
    await inspected(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Rehearse in a sandbox' }));
    await waitFor(() => expect(api.callsTo('restore.rehearse')).toHaveLength(1));
    api.finish('op-rehearse-0001', 'failed', undefined, { code: 'sandbox-failed', message: 'The sandbox process ended (exit 1). Start it again.' });
    await waitFor(() => expect(api.callsTo('restore.result')).toEqual([{ operationId: 'op-rehearse-0001' }]));
    await act(async () => {
      await Promise.resolve();
    });
    const alert = within(screen.getByRole('region', { name: 'Rehearsal' })).getByRole('alert');
    expect(alert.textContent).toContain('The rehearsal failed');
    expect(alert.textContent).toContain('The sandbox process ended (exit 1).');
    expect(alert.textContent).not.toContain('No such restore');
    expect((screen.getByRole('button', { name: 'Rehearse in a sandbox' }) as HTMLButtonElement).disabled).toBe(false);
  });
});

describe('from the Backups list', () => {
  it('Restore this one opens a local copy by path and a server copy by id', async () => {
    const api = restoreApi();
    const started = '2025-06-15T15:06:40.000Z';
    const metadata = { id: '', checksum: 'x=', checksumFormat: 'SHA-1, base64 encoded', size: 1, stored: started, started, finished: started, notes: '', environment: UUID, machine: '0', hostname: 'h', version: '1.25.6' };
    api.setBackups([
      { id: `20250615-150640.${UUID}`, location: 'both', localPath: '/backups/juju-backup-20250615-150640.tar.gz', checksumState: 'verified', metadata: { ...metadata, id: `20250615-150640.${UUID}` } },
      { id: `20250614-150640.${UUID}`, location: 'server', localPath: null, checksumState: 'verified', metadata: { ...metadata, id: `20250614-150640.${UUID}`, started: '2025-06-14T15:06:40.000Z' } },
    ]);
    const { store } = await show(api);
    act(() => store.getState().navigate('backups'));
    fireEvent.click(await screen.findByRole('button', { name: `Restore 20250615-150640.${UUID}` }));
    await waitFor(() => expect(api.callsTo('restore.inspect')).toEqual([{ archive: { localPath: '/backups/juju-backup-20250615-150640.tar.gz' }, environmentId: 'sandbox' }]));
    expect(store.getState().section).toBe('restore');
    expect(screen.getByText('/backups/juju-backup-20250615-150640.tar.gz')).toBeTruthy();

    act(() => store.getState().navigate('backups'));
    fireEvent.click(await screen.findByRole('button', { name: `Restore 20250614-150640.${UUID}` }));
    await waitFor(() => expect(api.callsTo('restore.inspect').at(-1)).toEqual({ archive: { environmentId: 'sandbox', backupId: `20250614-150640.${UUID}` }, environmentId: 'sandbox' }));
    expect(screen.getByText(/the copy on the state server/)).toBeTruthy();
    // The operator's own file was never Quorum's to remove.
    expect(api.callsTo('restore.discard')).toEqual([]);

    // Main staged the server copy for the inspection: closing the archive discards that file.
    api.finish('op-inspect-0001', 'succeeded', inspectResult());
    await waitFor(() => expect(store.getState().restore.inspection?.localPath).toBe(STAGED));
    fireEvent.click(screen.getByRole('button', { name: 'Close archive' }));
    await waitFor(() => expect(api.callsTo('restore.discard')).toEqual([{ localPath: STAGED }]));
  });
});

describe('a reloaded window', () => {
  it('finds the running restore among the running operations and shows its steps at once', async () => {
    const api = restoreApi();
    const running = { id: 'op-restore-0007', kind: 'restore' as const, environmentId: 'sandbox', title: 'Restore sandbox', state: 'running' as const, startedAt: '2025-06-15T15:10:00.000Z', progress: { phase: 'copy-backup', message: 'copying backup file to bootstrap host' }, log: [] };
    api.base.setOperations([running]);
    api.setResultAnswer({ run: runOf('op-restore-0007', { 'copy-backup': step('copy-backup', 'running', { bytes: 10, totalBytes: 100 }) }), result: null });
    const { store } = await show(api);
    act(() => store.getState().navigate('restore'));
    await waitFor(() => expect(within(screen.getByRole('list', { name: 'Restore steps' })).getByRole('listitem', { name: 'copying backup file to bootstrap host' }).textContent).toContain('running'));
    expect(api.callsTo('restore.result')).toEqual([{ operationId: 'op-restore-0007' }]);
  });


  it('adopts the restore main is running from its progress event', async () => {
    const api = restoreApi();
    const { store } = await show(api);
    act(() => store.getState().navigate('restore'));
    api.progress(runOf('op-restore-0009', { connect: step('connect', 'running') }));
    expect(within(screen.getByRole('list', { name: 'Restore steps' })).getByRole('listitem', { name: 'connecting to newly bootstrapped instance' }).textContent).toContain('running');
  });
});
