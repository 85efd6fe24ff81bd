import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { connectBridge } from './bridge/connect-bridge';
import { createAppStore } from './store/create-app-store';
import { startHashSync } from './store/hash-route';
import { AppStoreProvider } from './store/store-context';
import { followTransport, refreshAll, startSubscriptions } from './store/subscriptions';
import './styles/tokens.css';
import './styles/base.css';
import './styles/shell.css';

/**
 * Entry point: connect to whichever host carries the contract, build the one
 * store over it, wire events and the address bar outside React, then render.
 */
async function start(container: HTMLElement): Promise<void> {
  const root = createRoot(container);
  let bridge;
  try {
    bridge = await connectBridge();
  } catch {
    container.textContent = "Quorum could not reach its main process. Check that Quorum is still running, then reload this page.";
    return;
  }
  const store = createAppStore(bridge);
  startSubscriptions(store, bridge);
  startHashSync(store);
  followTransport(store, bridge);
  void refreshAll(store);
  root.render(
    <StrictMode>
      <AppStoreProvider store={store}>
        <App />
      </AppStoreProvider>
    </StrictMode>,
  );
}

const container = document.getElementById('root');
if (container !== null) void start(container);
