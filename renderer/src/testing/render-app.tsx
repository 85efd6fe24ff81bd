import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createAppStore, type AppStore } from '../store/create-app-store';
import { AppStoreProvider } from '../store/store-context';
import { refreshAll, startSubscriptions } from '../store/subscriptions';
import type { FakeApi } from './fake-api';

/**
 * Renders a tree over a fresh store on a fake API, wired and loaded the way
 * `main.tsx` wires the real one.
 */
export async function renderWithStore(ui: ReactElement, api: FakeApi): Promise<{ store: AppStore; unmount: () => void }> {
  const store = createAppStore(api);
  const stop = startSubscriptions(store, api);
  await refreshAll(store);
  const view = render(<AppStoreProvider store={store}>{ui}</AppStoreProvider>);
  return {
    store,
    unmount: () => {
      view.unmount();
      stop();
    },
  };
}
