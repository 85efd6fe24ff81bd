import { LOST_CONNECTION_MESSAGE, RESTARTED_CONNECTION_MESSAGE } from '../store/call';
import { useAppStore } from '../store/store-context';

/**
 * Says when the main process cannot be reached. Everything else stays on
 * screen (stale but honest) while the bridge reconnects; after a restart of
 * the browser-mode host (this page's token refused) it says to open the new
 * address instead, since reconnecting cannot succeed.
 */
export function ConnectionBanner() {
  const status = useAppStore((state) => state.connection.status);
  const reconnect = useAppStore((state) => state.connection.reconnect);
  if (status === 'connecting') {
    // Shown only if connecting takes more than a moment (see .banner-delayed).
    return (
      <div className="banner banner-info banner-delayed" role="status">
        Connecting to Quorum&apos;s main process…
      </div>
    );
  }
  if (status === 'restarted') {
    return (
      <div className="banner banner-error" role="alert">
        {RESTARTED_CONNECTION_MESSAGE}
      </div>
    );
  }
  if (status !== 'lost') return null;
  return (
    <div className="banner banner-error" role="alert">
      {LOST_CONNECTION_MESSAGE}
      {reconnect === null ? null : (
        <>
          {' '}
          <button type="button" className="button button-quiet" onClick={reconnect}>
            Reconnect now
          </button>
        </>
      )}
    </div>
  );
}
