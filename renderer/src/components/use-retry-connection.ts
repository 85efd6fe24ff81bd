import { useAppStore } from '../store/store-context';
import { useRetry } from './retry-button';

/**
 * The Retry beside a connection error of the selected environment
 * (`host-unreachable`, juju-db's port closed, …): asks main to retry its
 * state servers now instead of at the end of the backoff; the watched
 * topology then shows the result at its next round. Spread into
 * `<ErrorMessage {...retry} />`; empty while no environment is shown.
 */
export function useRetryConnection(): { onRetry?: () => void; retrying?: boolean } {
  const environmentId = useAppStore((s) => s.environments.selectedId);
  const retryConnection = useAppStore((s) => s.retryConnection);
  const retry = useRetry(() => (environmentId === null ? Promise.resolve() : retryConnection(environmentId)));
  return environmentId === null ? {} : retry;
}
