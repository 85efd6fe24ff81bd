import type { SerializedError } from '../../../../shared/errors';
import { RetryButton } from '../../components/retry-button';
import { errorAdvice, errorKind, errorTitle } from './plan-model';

/**
 * An error from the HA service: Juju's own words (as the service passes
 * them on), under a title that tells the four situations apart (API
 * unreachable, login refused, changes blocked, Juju refusing), and what to
 * do next when the words alone do not say it. With `onRetry`, a Retry
 * (named `retryLabel`) re-runs what failed; not for a refused or missing
 * admin password, whose form is the way on.
 */
export function HaError({
  error,
  context,
  onRetry,
  retrying = false,
  retryLabel,
}: {
  error: SerializedError;
  context?: string;
  onRetry?: () => void;
  retrying?: boolean;
  retryLabel?: string;
}) {
  const kind = errorKind(error);
  const retryable = onRetry !== undefined && kind !== 'login-refused' && kind !== 'password-required';
  const advice = errorAdvice(kind);
  return (
    <div className={`notice notice-error ha-error ha-error-${kind}`} role="alert">
      <p className="notice-title">
        {context === undefined ? '' : `${context}: `}
        {errorTitle(kind)}
      </p>
      <p className="ha-juju-words">{error.message}</p>
      {advice !== null && !error.message.includes(advice) ? <p>{advice}</p> : null}
      {retryable ? <RetryButton onRetry={onRetry} retrying={retrying} label={retryLabel} /> : null}
    </div>
  );
}
