import { useId, useState, type FormEvent } from 'react';
import type { SerializedError } from '../../../../shared/errors';
import { useAppStore } from '../../store/store-context';
import { HaError } from './ha-error';

/**
 * Asks for the environment's admin password when main knows none (no
 * `.jenv`, or one without `password`) or Juju refused the one it had. The
 * password lives in this form's field only until it is sent: it is never
 * put in the store, shown again, or kept after submitting.
 */
export function AdminPasswordForm({ environmentId, refused }: { environmentId: string; refused: SerializedError | null }) {
  const setPassword = useAppStore((s) => s.setHaAdminPassword);
  const [password, setValue] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<SerializedError | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const fieldId = useId();
  const hintId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (password === '' || sending) return;
    const sent = password;
    // The field is emptied at once: the value only travels in the request.
    setValue('');
    setSending(true);
    setError(null);
    setOutcome(null);
    void setPassword(environmentId, sent).then((r) => {
      setSending(false);
      if (r.ok) {
        setOutcome(
          r.value.verified
            ? 'Juju accepted the admin password. Quorum keeps it in memory until it quits.'
            : "Quorum will use this password; it could not be checked yet because Juju's API did not answer.",
        );
      } else setError(r.error);
    });
  };

  return (
    <section className="ha-password" aria-labelledby={`${fieldId}-title`}>
      <h2 id={`${fieldId}-title`}>Admin password</h2>
      {refused !== null ? <HaError error={refused} /> : null}
      <p id={hintId}>
        Quorum changes high availability through Juju&apos;s own API, logged in as the environment&apos;s admin user, as{' '}
        <code>juju ensure-availability</code> does. It does not know the admin password of this environment: enter the <code>password</code> from its{' '}
        <code>.jenv</code> file. It is kept in memory only and never shown again.
      </p>
      <form className="form ha-password-form" onSubmit={submit} aria-label="Admin password">
        <div className="field">
          <label htmlFor={fieldId}>Admin password</label>
          <input
            id={fieldId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={password}
            aria-describedby={hintId}
            onChange={(e) => setValue(e.target.value)}
            disabled={sending}
          />
        </div>
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={sending || password === ''}>
            {sending ? 'Checking…' : 'Use this password'}
          </button>
        </div>
      </form>
      {error !== null ? <HaError error={error} /> : null}
      {outcome !== null ? <p role="status">{outcome}</p> : null}
    </section>
  );
}
