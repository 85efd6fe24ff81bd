// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './app';
import { createFakeApi, jujuEnvironment, operationSnapshot } from './testing/fake-api';
import { renderWithStore } from './testing/render-app';
import { createAppStore } from './store/create-app-store';
import { AppStoreProvider } from './store/store-context';
import { refreshAll } from './store/subscriptions';

afterEach(cleanup);

const brokenJenv = jujuEnvironment('broken', {
  stateServers: [],
  error: { code: 'environment-invalid', message: 'broken.jenv is not valid YAML (line 3). Fix or remove the file.' },
});

describe('app shell', () => {
  it('lists every environment in the switcher with a hint of its kind', async () => {
    const api = createFakeApi({ environments: [jujuEnvironment('prod', { current: true }), brokenJenv] });
    await renderWithStore(<App />, api);
    const switcher = screen.getByRole('combobox', { name: 'Environment' });
    const options = within(switcher).getAllByRole('option').map((option) => option.textContent);
    expect(options).toEqual(['sandbox (built in)', 'prod (Juju, current)', 'broken (Juju) — error']);
    expect(switcher).toHaveProperty('value', 'sandbox');
  });

  it('shows why a malformed environment cannot be used when it is chosen', async () => {
    const api = createFakeApi({ environments: [brokenJenv] });
    await renderWithStore(<App />, api);
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.change(screen.getByRole('combobox', { name: 'Environment' }), { target: { value: 'juju:broken' } });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The environment “broken” cannot be used.');
    expect(alert.textContent).toContain('is not valid YAML');
    expect(alert.textContent).toContain('Choose another environment in the switcher, or fix /home/op/.juju/environments/broken.jenv');
    // Main refused it, so the healthy selection stays.
    expect(screen.getByRole('combobox', { name: 'Environment' })).toHaveProperty('value', 'sandbox');

    fireEvent.change(screen.getByRole('combobox', { name: 'Environment' }), { target: { value: 'sandbox' } });
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('explains an unusable environment that main reports as selected', async () => {
    const api = createFakeApi({ environments: [brokenJenv], selectedId: 'juju:broken' });
    await renderWithStore(<App />, api);
    expect(screen.getByRole('alert').textContent).toContain('The environment “broken” cannot be used.');
    expect(screen.getByRole('combobox', { name: 'Environment' }).getAttribute('aria-invalid')).toBe('true');
  });

  it('shows a refused selection', async () => {
    const api = createFakeApi({ environments: [jujuEnvironment('prod')] });
    await renderWithStore(<App />, api);
    api.failNext('environments.select', { code: 'busy', message: 'A backup is running on sandbox. Wait for it to finish.' });
    fireEvent.change(screen.getByRole('combobox', { name: 'Environment' }), { target: { value: 'juju:prod' } });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Quorum could not switch to prod.');
    expect(alert.textContent).toContain('A backup is running on sandbox.');

    // Once the backup is done, Retry asks for the same environment again.
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
    expect(api.calls.filter((c) => c.channel === 'environments.select').map((c) => c.request)).toEqual([{ id: 'juju:prod' }, { id: 'juju:prod' }]);
    expect(screen.getByRole('combobox', { name: 'Environment' })).toHaveProperty('value', 'juju:prod');
  });

  it('an unusable environment offers Check again, which reads the environments again once the file is fixed', async () => {
    const api = createFakeApi({ environments: [brokenJenv], selectedId: 'juju:broken' });
    await renderWithStore(<App />, api);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('or fix /home/op/.juju/environments/broken.jenv, then check again.');
    const lists = api.calls.filter((c) => c.channel === 'environments.list').length;
    fireEvent.click(within(alert).getByRole('button', { name: 'Check again' }));
    await waitFor(() => expect(api.calls.filter((c) => c.channel === 'environments.list')).toHaveLength(lists + 1));
  });

  it('environments that could not be listed offer Retry', async () => {
    const api = createFakeApi({ environments: [jujuEnvironment('prod')] });
    api.failNext('environments.list', { code: 'environment-invalid', message: 'Cannot read /home/op/.juju/environments: permission denied. Fix its permissions.' });
    await renderWithStore(<App />, api);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Quorum could not list the environments.');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
    expect(within(screen.getByRole('combobox', { name: 'Environment' })).getAllByRole('option').map((o) => o.textContent)).toContain('prod (Juju)');
  });

  it('navigates between sections and marks the current one', async () => {
    await renderWithStore(<App />, createFakeApi());
    const nav = screen.getByRole('navigation', { name: 'Sections' });
    const links = within(nav).getAllByRole('link');
    expect(links.map((link) => link.textContent)).toEqual(['Topology', 'Backups', 'Restore', 'High availability']);
    expect(within(nav).getByRole('link', { name: 'Topology' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('heading', { level: 1, name: 'Topology' })).toBeTruthy();

    fireEvent.click(within(nav).getByRole('link', { name: 'Restore' }));
    expect(within(nav).getByRole('link', { name: 'Restore' }).getAttribute('aria-current')).toBe('page');
    expect(within(nav).getByRole('link', { name: 'Topology' }).getAttribute('aria-current')).toBeNull();
    expect(screen.getByRole('heading', { level: 1, name: 'Restore' })).toBeTruthy();
    // Every section is built: Restore opens on its archive chooser.
    expect(screen.getByLabelText('Choose a backup archive')).toBeTruthy();
  });

  it('shows loading states until main has answered', async () => {
    const api = createFakeApi();
    const store = createAppStore(api);
    render(
      <AppStoreProvider store={store}>
        <App />
      </AppStoreProvider>,
    );
    const switcher = screen.getByRole('combobox', { name: 'Environment' });
    expect(switcher).toHaveProperty('disabled', true);
    expect(screen.getByText('Loading environments…')).toBeTruthy();
    expect(screen.getByText("Connecting to Quorum's main process…")).toBeTruthy();

    await act(() => refreshAll(store));
    expect(screen.getByRole('combobox', { name: 'Environment' })).toHaveProperty('disabled', false);
    expect(screen.queryByText("Connecting to Quorum's main process…")).toBeNull();
    expect(screen.getByText('Embedded sandbox on this computer')).toBeTruthy();
  });

  it('shows the lost-connection banner while the host is unreachable', async () => {
    const { store } = await renderWithStore(<App />, createFakeApi());
    expect(screen.queryByText(/Lost connection/)).toBeNull();
    act(() => store.getState().setConnectionStatus('lost'));
    expect(screen.getByRole('alert').textContent).toBe("Lost connection to Quorum's main process. Reconnecting…");
  });

  it('counts running operations in the header and lists them on demand', async () => {
    const api = createFakeApi();
    api.setOperations([operationSnapshot()]);
    await renderWithStore(<App />, api);
    const toggle = screen.getByRole('button', { name: '1 operation running' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    const panel = screen.getByRole('region', { name: 'Operations' });
    expect(within(panel).getByText('Dumping collection 3 of 12 (juju.units)')).toBeTruthy();
    expect(within(panel).getByRole('progressbar', { name: 'Progress of Create backup of sandbox' })).toBeTruthy();

    fireEvent.click(within(panel).getByRole('button', { name: 'Cancel Create backup of sandbox' }));
    await waitFor(() => expect(api.calls.some((call) => call.channel === 'operations.cancel')).toBe(true));
    expect(api.calls.find((call) => call.channel === 'operations.cancel')?.request).toEqual({ operationId: 'op-backup-000001' });

    act(() => api.emit('operation.finished', operationSnapshot({ state: 'succeeded', progress: { phase: 'done', message: 'Backup stored.' } })));
    expect(screen.getByRole('button', { name: 'No operations running' })).toBeTruthy();
    expect(within(panel).getByText('Succeeded')).toBeTruthy();

    fireEvent.keyDown(panel, { key: 'Escape' });
    expect(screen.queryByRole('region', { name: 'Operations' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'No operations running' }));
  });
});
