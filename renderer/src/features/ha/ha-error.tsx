import type { SerializedError } from '../../../../shared/errors';
import { errorAdvice, errorKind, errorTitle } from './plan-model';

/**
 * An error from the HA service: Juju's own words (as the service passes
 * them on), under a title that tells the four situations apart (API
 * unreachable, login refused, changes blocked, Juju refusing), and what to
 * do next when the words alone do not say it.
 */
export function HaError({ error, context }: { error: SerializedError; context?: string }) {
  const kind = errorKind(error);
  const advice = errorAdvice(kind);
  return (
    <div className={`notice notice-error ha-error ha-error-${kind}`} role="alert">
      <p className="notice-title">
        {context === undefined ? '' : `${context}: `}
        {errorTitle(kind)}
      </p>
      <p className="ha-juju-words">{error.message}</p>
      {advice !== null && !error.message.includes(advice) ? <p>{advice}</p> : null}
    </div>
  );
}
