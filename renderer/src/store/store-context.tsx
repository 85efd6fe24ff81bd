import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AppState } from './app-state';
import type { AppStore } from './create-app-store';

const StoreContext = createContext<AppStore | null>(null);

/** Hands the store to the tree; tests pass a fresh store built over a fake API. */
export function AppStoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/** Reads the store through a selector; wrap list selectors in `useShallow`. */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (store === null) throw new Error('useAppStore must be used inside <AppStoreProvider>.');
  return useStore(store, selector);
}
