// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../app';
import type { BackupPlan } from '../../../shared/ipc/channels/backups';
import type { QuorumApi } from '../../../shared/ipc/contract';
import { BackupsPage } from '../features/backups/backups-page';
import { TopologyPage } from '../features/topology/topology-page';
import { ready, topologyApi } from '../features/topology/topology-test-api';
import type { Section } from '../features/sections';
import type { FakeApi } from '../testing/fake-api';
import { renderWithStore } from '../testing/render-app';

/**
 * Switching environments never shows one environment's data under another's
 * name, not even for a frame: main announces the new selection before its
 * first snapshot, and a snapshot or reply about the old environment can
 * arrive after it. A MutationObserver records every DOM state the switch
 * goes through; none may show the sandbox's machines while the switcher
 * names prod.
 */

afterEach(cleanup);

const SECTIONS: readonly Section[] = [
  { id: 'topology', label: 'Topology', Page: TopologyPage },
  { id: 'backups', label: 'Backups', Page: BackupsPage },
];

/** DOM states in which the switcher names prod (or another non-sandbox environment) and sandbox data is on the page. */
let violations: string[] = [];
let observer: MutationObserver | null = null;

function watchForLeaks(leak: () => string | null) {
  violations = [];
  observer = new MutationObserver(() => {
    const switcher = document.querySelector<HTMLSelectElement>('select.switcher-select');
    if (switcher === null || switcher.value === 'sandbox') return;
    const found = leak();
    if (found !== null) violations.push(`${switcher.value}: ${found}`);
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
}

beforeEach(() => {
  observer?.disconnect();
  observer = null;
});

/** The sandbox's machines as the topology page shows them. */
const sandboxMachines = () => {
  const cards = [...document.querySelectorAll('[role="article"], article')].map((a) => a.getAttribute('aria-label'));
  const text = document.body.textContent ?? '';
  if (cards.some((name) => name?.startsWith('Machine'))) return `machine cards ${cards.join(', ')}`;
  if (/3 of 3 voting members|10\.23\.0\.1\d/.test(text)) return 'sandbox facts in the page text';
  return null;
};

describe('switching environments', () => {
  it('topology: the sandbox’s machines never appear under prod, even with late sandbox snapshots and replies', async () => {
    const api = topologyApi();
    const { store } = await renderWithStore(<App sections={SECTIONS} />, api as unknown as FakeApi);
    await screen.findByRole('article', { name: 'Machine 0' });
    watchForLeaks(sandboxMachines);

    // Main's order: the new selection first (its list), then, later, its first snapshot.
    fireEvent.change(screen.getByRole('combobox', { name: 'Environment' }), { target: { value: 'juju:prod' } });
    await waitFor(() => expect(store.getState().environments.selectedId).toBe('juju:prod'));
    expect(screen.getByRole('combobox', { name: 'Environment' })).toHaveProperty('value', 'juju:prod');
    // A round of the sandbox that was in flight publishes late; the page's renewed watch is answered with it too.
    api.push(ready({ lag: { '1': 4 } }));
    await act(async () => {
      await store.getState().watchTopology(true);
    });
    expect(screen.queryByRole('article')).toBeNull();
    expect(screen.getByText(/^Connecting to the state servers/).textContent).toBe('Connecting to the state servers of prod…');

    // prod's own snapshots are shown.
    api.push({ environmentId: 'juju:prod', status: 'error', topology: null, error: { code: 'host-unreachable', message: 'Port 22 on 10.0.0.1 is closed.' } });
    expect(await screen.findByText('Port 22 on 10.0.0.1 is closed.')).toBeTruthy();
    api.push(ready({ stateServers: 1, machines: 1 }, 'juju:prod'));
    const only = await screen.findByRole('article', { name: 'Machine 0' });
    expect(within(only).getByText('has-vote')).toBeTruthy();
    // A sandbox snapshot arriving now still does not replace prod's.
    api.push(ready({}, 'sandbox'));
    expect(screen.getAllByRole('article')).toHaveLength(1);

    observer?.disconnect();
    // Everything after the switch that named prod showed only prod's machine (one card, from its own snapshot).
    expect(violations.filter((v) => !v.endsWith('machine cards Machine 0'))).toEqual([]);
    expect(violations.filter((v) => v.includes('Machine 1') || v.includes('Machine 2'))).toEqual([]);
  });

  it('topology: the details panel of a sandbox machine closes on the switch', async () => {
    const api = topologyApi();
    const { store } = await renderWithStore(<App sections={SECTIONS} />, api as unknown as FakeApi);
    await screen.findByRole('article', { name: 'Machine 1' });
    fireEvent.click(screen.getByRole('button', { name: 'Details of machine 1' }));
    expect(screen.getByRole('region', { name: 'Machine 1 details' })).toBeTruthy();
    await act(async () => {
      await store.getState().selectEnvironment('juju:prod');
    });
    api.push(ready({}, 'juju:prod'));
    await screen.findByRole('article', { name: 'Machine 1' });
    expect(screen.queryByRole('region', { name: 'Machine 1 details' })).toBeNull();
  });

  it('backups: the sandbox’s plan, list and errors never show under prod; prod reads as loading until its own answer', async () => {
    const sandboxPlan: BackupPlan = {
      machines: [{ machineId: '0', address: '10.23.0.10', voting: true, healthy: true, primary: true }],
      suggestedMachineId: '0',
      defaultFolder: '/b',
      defaultFilename: 'juju-backup-20250101-000000.tar.gz',
      noDownloadWarning: 'w',
    };
    const base = topologyApi();
    let answerProd: ((v: unknown) => void) | null = null;
    const api: QuorumApi = {
      on: base.on.bind(base),
      async invoke(channel, request) {
        if (channel === 'backups.plan') {
          const { environmentId } = request as { environmentId: string };
          if (environmentId === 'sandbox') return { ok: true, value: sandboxPlan } as never;
          return new Promise((resolve) => (answerProd = resolve as (v: unknown) => void)) as never;
        }
        if (channel === 'backups.list') {
          const { environmentId } = request as { environmentId: string };
          if (environmentId === 'sandbox') return { ok: true, value: { folder: '/b', items: [], invalid: [{ localPath: '/b/sandbox-only.tar.gz', reason: 'not a backup' }], serverError: null } } as never;
          return { ok: true, value: { folder: '/b', items: [], invalid: [], serverError: null } } as never;
        }
        return base.invoke(channel, request);
      },
    };
    const { store } = await renderWithStore(<App sections={SECTIONS} />, api as unknown as FakeApi);
    act(() => store.getState().navigate('backups'));
    const machine = await screen.findByLabelText('State server');
    await waitFor(() => expect(machine.textContent).toContain('10.23.0.10'));
    expect(screen.getByText(/sandbox-only\.tar\.gz/)).toBeTruthy();
    watchForLeaks(() => (/10\.23\.0\.10|sandbox-only/.test(document.body.textContent ?? '') ? 'sandbox plan or list' : null));

    fireEvent.change(screen.getByRole('combobox', { name: 'Environment' }), { target: { value: 'juju:prod' } });
    await waitFor(() => expect(store.getState().environments.selectedId).toBe('juju:prod'));
    // One state: loading, with the reason beside the disabled button.
    const field = screen.getByLabelText('State server');
    await waitFor(() => expect(field.textContent).toBe('Reading the replica set…'));
    const create = screen.getByRole('button', { name: 'Create backup' });
    expect(create).toHaveProperty('disabled', true);
    expect(document.getElementById(create.getAttribute('aria-describedby') ?? '')?.textContent).toContain('Waiting for the state servers');
    expect(screen.queryByText(/sandbox-only/)).toBeNull();

    await act(async () => answerProd?.({ ok: false, error: { code: 'mongo-unavailable', message: "juju-db's port is closed on machine 0 (10.0.0.1)." } }));
    expect(await screen.findByText("juju-db's port is closed on machine 0 (10.0.0.1).")).toBeTruthy();
    observer?.disconnect();
    expect(violations).toEqual([]);
  });
});
