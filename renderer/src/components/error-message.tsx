import type { SerializedError } from '../../../shared/errors';
import { RetryButton } from './retry-button';

/**
 * An operator-facing error: the message already says what happened and what
 * to do next (see `shared/errors.ts`), so it is shown as is. The library's
 * own wording, when the error carries it (`details.raw`, already redacted in
 * main), sits behind a "Details" disclosure. An error that tells the
 * operator to retry gets a Retry button when the caller can retry
 * (`onRetry`, named `retryLabel`; see `RetryButton`). `role="alert"` makes
 * screen readers announce it when it appears.
 */
export function ErrorMessage({
  error,
  title,
  onRetry,
  retrying = false,
  retryLabel,
}: {
  error: SerializedError;
  title?: string;
  onRetry?: () => void;
  retrying?: boolean;
  retryLabel?: string;
}) {
  const raw = error.details?.raw;
  return (
    <div className="notice notice-error" role="alert">
      {title === undefined ? null : <p className="notice-title">{title}</p>}
      <p>{error.message}</p>
      {typeof raw === 'string' && raw !== '' ? (
        <details className="notice-details">
          <summary>Details</summary>
          <pre>{raw}</pre>
        </details>
      ) : null}
      {onRetry === undefined ? null : <RetryButton onRetry={onRetry} retrying={retrying} label={retryLabel} />}
    </div>
  );
}
