import type { SerializedError } from '../../../shared/errors';

/**
 * An operator-facing error: the message already says what happened and what
 * to do next (see `shared/errors.ts`), so it is shown as is. The library's
 * own wording, when the error carries it (`details.raw`, already redacted in
 * main), sits behind a "Details" disclosure. An error that tells the
 * operator to retry gets a Retry button when the caller can retry
 * (`onRetry`). `role="alert"` makes screen readers announce it when it
 * appears.
 */
export function ErrorMessage({
  error,
  title,
  onRetry,
  retrying = false,
}: {
  error: SerializedError;
  title?: string;
  onRetry?: () => void;
  retrying?: boolean;
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
      {onRetry === undefined ? null : (
        <button type="button" className="button" onClick={onRetry} disabled={retrying}>
          {retrying ? 'Retrying…' : 'Retry'}
        </button>
      )}
    </div>
  );
}
