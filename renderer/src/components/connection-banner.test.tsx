// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAppStore } from '../store/create-app-store';
import { AppStoreProvider } from '../store/store-context';
import { createFakeApi } from '../testing/fake-api';
import { ConnectionBanner } from './connection-banner';

afterEach(cleanup);

describe('ConnectionBanner', () => {
  it('says "Reconnecting…" for a drop, and to open the new address once the host was restarted', () => {
    const store = createAppStore(createFakeApi());
    render(
      <AppStoreProvider store={store}>
        <ConnectionBanner />
      </AppStoreProvider>,
    );
    act(() => store.getState().setConnectionStatus('connected'));
    expect(screen.queryByRole('alert')).toBeNull();
    act(() => store.getState().setConnectionStatus('lost'));
    expect(screen.getByRole('alert').textContent).toBe("Lost connection to Quorum's main process. Reconnecting…");
    // Browser mode's bridge can reconnect at once instead of at the end of its backoff.
    const reconnect = vi.fn();
    act(() => store.getState().setReconnect(reconnect));
    fireEvent.click(screen.getByRole('button', { name: 'Reconnect now' }));
    expect(reconnect).toHaveBeenCalledTimes(1);
    act(() => store.getState().setConnectionStatus('restarted'));
    expect(screen.getByRole('alert').textContent).toBe('Quorum was restarted: open the new address printed in its terminal.');
    expect(screen.getByRole('alert').textContent).not.toContain('Reconnecting');
    expect(screen.queryByRole('button', { name: 'Reconnect now' })).toBeNull();
  });
});
