import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { Result } from '../../../../shared/ipc/envelope';
import {
  manualEnvironmentInputSchema,
  type Environment,
  type ManualEnvironmentInput,
} from '../../../../shared/ipc/channels/environments';
import { ENVIRONMENT_FIELDS, fieldErrorsFromEnvelope, fieldErrorsFromIssues, type EnvironmentField, type FieldErrors } from './field-errors';

interface Draft {
  name: string;
  stateServers: string;
  sshUser: string;
  sshPort: string;
  keyFile: string;
}

const EMPTY_DRAFT: Draft = { name: '', stateServers: '', sshUser: 'ubuntu', sshPort: '22', keyFile: '' };

function draftOf(environment: Environment | undefined): Draft {
  if (environment === undefined) return EMPTY_DRAFT;
  return {
    name: environment.name,
    stateServers: environment.stateServers.join('\n'),
    sshUser: environment.sshUser,
    sshPort: String(environment.sshPort),
    keyFile: environment.keyFile ?? '',
  };
}

/** Addresses may be typed one per line, or separated by commas or spaces. */
export function parseAddresses(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((address) => address.trim())
    .filter((address) => address.length > 0);
}

function toInput(draft: Draft): unknown {
  const port = draft.sshPort.trim() === '' ? Number.NaN : Number(draft.sshPort);
  return {
    name: draft.name,
    stateServers: parseAddresses(draft.stateServers),
    sshUser: draft.sshUser,
    sshPort: port,
    keyFile: draft.keyFile,
  };
}

/** Schema messages are lower-case fragments ("a name is required"); shown as sentences. */
function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

const LABELS: Record<EnvironmentField, string> = {
  name: 'Name',
  stateServers: 'State-server addresses',
  sshUser: 'SSH user',
  sshPort: 'SSH port',
  keyFile: 'Key file',
};

const HINTS: Partial<Record<EnvironmentField, string>> = {
  stateServers: 'Host names or IP addresses of the state servers, one per line or separated by commas.',
  keyFile: 'Path of the SSH private key on this computer, for example /home/me/.ssh/id_rsa.',
};

/**
 * Adds or edits an environment entered by hand. Input is checked with the
 * same schema main uses before it is sent; whatever main still refuses
 * (`invalid-input`, `conflict`) is shown beside the field it concerns.
 */
export function EnvironmentForm({
  environment,
  onSubmit,
  onDone,
  onCancel,
}: {
  /** The environment to edit; undefined to add a new one. */
  environment?: Environment;
  onSubmit: (input: ManualEnvironmentInput) => Promise<Result<Environment>>;
  onDone: (saved: Environment) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(environment));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const baseId = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const idOf = (field: EnvironmentField) => `${baseId}-${field}`;

  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('input, textarea')?.focus();
  }, []);

  const focusFirstInvalid = (fieldErrors: FieldErrors) => {
    const first = ENVIRONMENT_FIELDS.find((field) => fieldErrors[field] !== undefined);
    if (first !== undefined) formRef.current?.ownerDocument.getElementById(idOf(first))?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const parsed = manualEnvironmentInputSchema.safeParse(toInput(draft));
    if (!parsed.success) {
      const fieldErrors = fieldErrorsFromIssues(parsed.error.issues);
      if (fieldErrors.sshPort !== undefined) fieldErrors.sshPort = 'Enter a port number between 1 and 65535.';
      setErrors(fieldErrors);
      focusFirstInvalid(fieldErrors);
      return;
    }
    setErrors({});
    setSaving(true);
    const result = await onSubmit(parsed.data);
    setSaving(false);
    if (result.ok) {
      onDone(result.value);
      return;
    }
    const placed = fieldErrorsFromEnvelope(result.error);
    setErrors(placed.fields);
    setFormError(placed.form);
    focusFirstInvalid(placed.fields);
  };

  const field = (name: EnvironmentField, control: 'input' | 'textarea', extra: { type?: string; autoComplete?: string } = {}) => {
    const id = idOf(name);
    const error = errors[name];
    const hint = HINTS[name];
    const describedBy = [hint === undefined ? null : `${id}-hint`, error === undefined ? null : `${id}-error`].filter(Boolean).join(' ');
    const common = {
      id,
      name,
      value: draft[name],
      'aria-invalid': error !== undefined,
      'aria-describedby': describedBy === '' ? undefined : describedBy,
      onChange: (event: { target: { value: string } }) => setDraft((current) => ({ ...current, [name]: event.target.value })),
    };
    return (
      <div className="field">
        <label htmlFor={id}>{LABELS[name]}</label>
        {hint === undefined ? null : (
          <p id={`${id}-hint`} className="field-hint">
            {hint}
          </p>
        )}
        {control === 'textarea' ? (
          <textarea {...common} rows={3} spellCheck={false} />
        ) : (
          <input {...common} type={extra.type ?? 'text'} autoComplete={extra.autoComplete ?? 'off'} spellCheck={false} />
        )}
        {error === undefined ? null : (
          <p id={`${id}-error`} className="field-error">
            {sentence(error)}
          </p>
        )}
      </div>
    );
  };

  const title = environment === undefined ? 'Add environment' : `Edit ${environment.name}`;
  return (
    <form ref={formRef} className="form" aria-label={title} noValidate onSubmit={(event) => void submit(event)}>
      <h3>{title}</h3>
      {formError === null ? null : (
        <div className="notice notice-error" role="alert">
          <p>{formError}</p>
        </div>
      )}
      {field('name', 'input')}
      {field('stateServers', 'textarea')}
      <div className="field-row">
        {field('sshUser', 'input', { autoComplete: 'username' })}
        {field('sshPort', 'input', { type: 'number' })}
      </div>
      {field('keyFile', 'input')}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save environment'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
