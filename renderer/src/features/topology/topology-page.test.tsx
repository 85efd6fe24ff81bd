// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { syntheticTopology } from '../../../../shared/model/synthetic-topology';
import { markUnreachable } from '../../../../shared/model/topology';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { TopologyPage } from './topology-page';
import { ready, topologyApi } from './topology-test-api';

afterEach(cleanup);

async function renderPage(api: ReturnType<typeof topologyApi>) {
  const view = await renderWithStore(<TopologyPage />, api as unknown as FakeApi);
  await screen.findByRole('article', { name: 'Machine 0' });
  return view;
}

const card = (id: string) => screen.getByRole('article', { name: `Machine ${id}` });

describe('topology page', () => {
  it('shows three state servers has-vote, exactly one primary, and the quorum banner', async () => {
    const api = topologyApi();
    await renderPage(api);
    for (const id of ['0', '1', '2']) expect(within(card(id)).getByText('has-vote')).toBeTruthy();
    expect(screen.getAllByText('Primary')).toHaveLength(1);
    expect(within(card('0')).getByText('Primary')).toBeTruthy();
    expect(screen.getByRole('status', { name: 'Quorum' }).textContent).toContain('3 of 3 voting members healthy — survives 1 failure');
    const others = screen.getByRole('list', { name: 'Other machines' });
    expect(within(others).getAllByRole('listitem').map((i) => i.getAttribute('aria-label'))).toEqual(['Machine 3', 'Machine 4', 'Machine 5']);
    expect(api.calls.filter((c) => c.channel === 'topology.watch').map((c) => c.request)).toEqual([{ active: true }]);
  });

  it('follows a failover pushed by main: the old primary shows down, the new one is marked', async () => {
    const api = topologyApi();
    await renderPage(api);
    api.push(ready({ down: ['0'], primary: '2' }));
    await waitFor(() => expect(within(card('2')).queryByText('Primary')).toBeTruthy());
    expect(within(card('0')).getByText('Down')).toBeTruthy();
    expect(within(card('0')).getByText('DOWN')).toBeTruthy();
    expect(within(card('0')).queryByText('Primary')).toBeNull();
    expect(screen.getByRole('status', { name: 'Quorum' }).textContent).toContain('2 of 3 voting members healthy — survives no further failure');
  });

  it('says quorum is lost in red, that restore is the way out, and links to Restore', async () => {
    const api = topologyApi({ snapshot: ready({ down: ['0', '1'] }) });
    const { store } = await renderPage(api);
    const banner = screen.getByRole('alert', { name: 'Quorum' });
    expect(banner.textContent).toContain('Quorum lost');
    expect(banner.textContent).toContain('restore from a backup is the way out');
    fireEvent.click(within(banner).getByRole('link', { name: 'Go to Restore' }));
    expect(store.getState().section).toBe('restore');
  });

  it('opens a detail panel with the fields of juju status -v', async () => {
    const api = topologyApi();
    await renderPage(api);
    fireEvent.click(screen.getByRole('button', { name: 'Details of machine 1' }));
    const panel = screen.getByRole('region', { name: 'Machine 1 details' });
    const text = panel.textContent ?? '';
    for (const expected of [
      'agent-state',
      'started',
      'agent-version1.25.6',
      'dns-name10.23.0.11',
      'instance-idi-00000001',
      'instance-stateACTIVE',
      'seriestrusty',
      'hardwarearch=amd64 cpu-cores=1 mem=1024M root-disk=20480M',
      'state-server-member-statushas-vote',
      'member stateSECONDARY',
      'healthhealthy',
      'replication lagup to date',
    ]) {
      expect(text).toContain(expected);
    }
    fireEvent.click(within(panel).getByRole('button', { name: 'Close details' }));
    expect(screen.queryByRole('region', { name: 'Machine 1 details' })).toBeNull();
  });

  it('asks before powering off a state server, then powers it off; other machines go at once', async () => {
    const api = topologyApi();
    await renderPage(api);
    fireEvent.click(screen.getByRole('button', { name: 'Power off machine 0' }));
    const dialog = screen.getByRole('dialog', { name: 'Power off machine 0?' });
    expect(dialog.textContent).toContain('2 of 3 voting members stay healthy');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Power off' }));
    await waitFor(() => expect(api.calls.some((c) => c.channel === 'sandbox.powerOff')).toBe(true));
    expect(api.calls.find((c) => c.channel === 'sandbox.powerOff')?.request).toEqual({ machineId: '0' });
    fireEvent.click(screen.getByRole('button', { name: 'Power off machine 4' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    await waitFor(() => expect(api.calls.filter((c) => c.channel === 'sandbox.powerOff')).toHaveLength(2));
    fireEvent.click(await screen.findByRole('button', { name: 'Power on machine 0' }));
    await waitFor(() => expect(api.calls.find((c) => c.channel === 'sandbox.powerOn')?.request).toEqual({ machineId: '0' }));
  });

  it('warns that a second voter powered off loses quorum, and shows a refused power action', async () => {
    const api = topologyApi({ snapshot: ready({ down: ['0'], primary: '1' }) });
    await renderPage(api);
    fireEvent.click(screen.getByRole('button', { name: 'Power off machine 1' }));
    expect(screen.getByRole('dialog').textContent).toContain('loses its quorum');
    api.failNext('sandbox.powerOff', { code: 'forbidden', message: 'Power controls exist only for the sandbox.' });
    fireEvent.click(screen.getByRole('button', { name: 'Power off' }));
    expect((await screen.findByText('Power controls exist only for the sandbox.')).closest('[role="alert"]')).toBeTruthy();
  });

  it('offers no power controls outside the sandbox', async () => {
    const api = topologyApi({ selectedId: 'juju:prod', snapshot: ready({}, 'juju:prod') });
    await renderPage(api);
    expect(screen.queryByRole('button', { name: /Power (off|on)/ })).toBeNull();
  });

  it('shows the loading state, then the error with its actionable message, keeping last known machines as down', async () => {
    const api = topologyApi({ snapshot: { environmentId: 'sandbox', status: 'loading', topology: null, error: null } });
    await renderWithStore(<TopologyPage />, api as unknown as FakeApi);
    expect((await screen.findByRole('status')).textContent).toContain('Connecting to the state servers of sandbox');
    api.push(ready());
    await screen.findByRole('article', { name: 'Machine 0' });
    const last = syntheticTopology();
    api.push({
      environmentId: 'sandbox',
      status: 'error',
      topology: markUnreachable(last, '2025-06-15T15:07:00.000Z'),
      error: { code: 'host-unreachable', message: 'Could not reach 10.23.0.12 over SSH: connection refused. Check the machine is running and reachable, then retry.' },
    });
    await screen.findByText(/Could not reach 10.23.0.12 over SSH/);
    for (const id of ['0', '1', '2']) expect(within(card(id)).getByText('Down')).toBeTruthy();
    expect(screen.getAllByText('Last known').length).toBeGreaterThanOrEqual(3);
    expect(screen.getByText(/Showing the last known state/)).toBeTruthy();
    expect(screen.getByRole('list', { name: 'Other machines' })).toBeTruthy();
  });

  it('asks to trust an unknown host key, showing its fingerprint, and trusts it through the connection channel', async () => {
    const fingerprint = 'SHA256:' + 'A'.repeat(43);
    const api = topologyApi({
      connections: {
        environmentId: 'sandbox',
        stateServers: [
          {
            address: '10.23.0.11',
            machineId: null,
            state: 'error',
            error: { code: 'host-key-unknown', message: 'Quorum has not seen 10.23.0.11 before.', details: { address: '10.23.0.11', host: '127.0.0.1', port: 40222, fingerprint, keyType: 'ssh-ed25519' } },
          },
        ],
      },
    });
    await renderPage(api);
    const dialog = await screen.findByRole('dialog', { name: 'Trust the host key of 10.23.0.11?' });
    expect(dialog.textContent).toContain(fingerprint);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Review host key of 10.23.0.11' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Trust' }));
    await waitFor(() =>
      expect(api.calls.find((c) => c.channel === 'connection.trustHostKey')?.request).toEqual({ environmentId: 'sandbox', host: '127.0.0.1', port: 40222, fingerprint }),
    );
  });

  it('shows both fingerprints of a changed host key, with no way to trust it', async () => {
    const api = topologyApi();
    await renderPage(api);
    const known = 'SHA256:' + 'K'.repeat(43);
    const presented = 'SHA256:' + 'P'.repeat(43);
    act(() =>
      api.base.emit('connection.changed', {
        environmentId: 'sandbox',
        stateServers: [
          {
            address: '10.23.0.10',
            machineId: '0',
            state: 'error',
            error: { code: 'host-key-changed', message: 'The SSH host key of 10.23.0.10 has changed.', details: { address: '10.23.0.10', host: '127.0.0.1', port: 40111, fingerprint: presented, knownFingerprint: known } },
          },
        ],
      }),
    );
    const alert = await screen.findByRole('alert', { name: 'Host key changed for 10.23.0.10' });
    expect(alert.textContent).toContain(known);
    expect(alert.textContent).toContain(presented);
    expect(screen.queryByRole('button', { name: /Trust/ })).toBeNull();
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('renders 1,000 machines as a window of rows, and ends its watch when it goes away', async () => {
    const api = topologyApi({ snapshot: ready({ machines: 1000, stateServers: 7 }) });
    const { unmount } = await renderPage(api);
    expect(screen.getAllByRole('article')).toHaveLength(7);
    const rows = within(screen.getByRole('list', { name: 'Other machines' })).getAllByRole('listitem');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]?.getAttribute('aria-setsize')).toBe('993');
    unmount();
    await waitFor(() => expect(api.calls.filter((c) => c.channel === 'topology.watch').at(-1)?.request).toEqual({ active: false }));
  });
});
