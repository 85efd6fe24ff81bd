import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * The one Retry button of the console: beside an error whose message tells
 * the operator to retry (or try again), it re-runs the action that failed
 * with the same inputs. Disabled, and saying so, while that action runs.
 * `label` is its name ("Retry", "Retry inspect", …), so a page with two
 * retries tells them apart.
 */
export function RetryButton({ onRetry, retrying = false, label = 'Retry' }: { onRetry: () => void; retrying?: boolean; label?: string }) {
  return (
    <button type="button" className="button retry-button" onClick={onRetry} disabled={retrying} aria-busy={retrying}>
      {retrying ? busyLabel(label) : label}
    </button>
  );
}

/** "Retry" → "Retrying…", "Retry inspect" → "Retrying inspect…". */
export function busyLabel(label: string): string {
  return `${label.replace(/^Retry\b/, 'Retrying')}…`;
}

/**
 * Wraps an action for a Retry button: `retrying` is true from the press
 * until the action settles (a second press meanwhile does nothing). Spread
 * into `<ErrorMessage {...retry} />` or `<RetryButton {...retry} />`.
 */
export function useRetry(action: () => Promise<unknown>): { onRetry: () => void; retrying: boolean } {
  const [retrying, setRetrying] = useState(false);
  const busy = useRef(false);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const onRetry = useCallback(() => {
    if (busy.current) return;
    busy.current = true;
    setRetrying(true);
    // The store's actions report failures in the state they show; a throw is a fault, logged like any other.
    void action()
      .catch((error: unknown) => console.error(error))
      .finally(() => {
        busy.current = false;
        if (mounted.current) setRetrying(false);
      });
  }, [action]);
  return { onRetry, retrying };
}
