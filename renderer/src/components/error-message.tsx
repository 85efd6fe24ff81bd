import type { SerializedError } from '../../../shared/errors';

/**
 * An operator-facing error: the message already says what happened and what
 * to do next (see `shared/errors.ts`), so it is shown as is. `role="alert"`
 * makes screen readers announce it when it appears.
 */
export function ErrorMessage({ error, title }: { error: SerializedError; title?: string }) {
  return (
    <div className="notice notice-error" role="alert">
      {title === undefined ? null : <p className="notice-title">{title}</p>}
      <p>{error.message}</p>
    </div>
  );
}
