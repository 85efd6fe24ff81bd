// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
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
    act(() => store.getState().setConnectionStatus('restarted'));
    expect(screen.getByRole('alert').textContent).toBe('Quorum was restarted: open the new address printed in its terminal.');
    expect(screen.getByRole('alert').textContent).not.toContain('Reconnecting');
  });
});
