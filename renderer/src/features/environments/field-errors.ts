import type { z } from 'zod';
import type { SerializedError } from '../../../../shared/errors';

/** The fields of the manual-environment form, named as in `manualEnvironmentInputSchema`. */
export const ENVIRONMENT_FIELDS = ['name', 'stateServers', 'sshUser', 'sshPort', 'keyFile'] as const;
export type EnvironmentField = (typeof ENVIRONMENT_FIELDS)[number];

export type FieldErrors = Partial<Record<EnvironmentField, string>>;

function asField(path: string | number | undefined): EnvironmentField | null {
  return typeof path === 'string' && (ENVIRONMENT_FIELDS as readonly string[]).includes(path) ? (path as EnvironmentField) : null;
}

/** The first segment of `stateServers.0` or `input.name` (update requests nest the input). */
function fieldOfPath(path: string): EnvironmentField | null {
  for (const segment of path.split(/[.[\]/]/)) {
    const field = asField(segment);
    if (field !== null) return field;
  }
  return null;
}

/** Field errors from the shared zod schema, checked before anything is sent. */
export function fieldErrorsFromIssues(issues: readonly z.core.$ZodIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = fieldOfPath(issue.path.map(String).join('.'));
    if (field === null || errors[field] !== undefined) continue;
    errors[field] = field === 'stateServers' && issue.path.length > 1 ? `${issue.message} (address ${Number(issue.path[1]) + 1})` : issue.message;
  }
  return errors;
}

/**
 * Places an error envelope from main beside the fields it is about.
 * `invalid-input` carries the failing paths in `details` (as keys, or as a
 * `field`/`path` value); `conflict` is about the name unless it says
 * otherwise. Whatever cannot be placed is returned as `form` to show at the
 * top of the form.
 */
export function fieldErrorsFromEnvelope(error: SerializedError): { fields: FieldErrors; form: string | null } {
  const fields: FieldErrors = {};
  const details = error.details ?? {};
  const named = [details.field, details.path].find((value): value is string => typeof value === 'string');
  const namedField = named === undefined ? null : fieldOfPath(named);

  if (error.code === 'conflict') {
    fields[namedField ?? 'name'] = error.message;
    return { fields, form: null };
  }
  if (error.code !== 'invalid-input') return { fields, form: error.message };

  for (const [path, message] of issuesFromMessage(error.message)) {
    const field = fieldOfPath(path);
    if (field !== null && fields[field] === undefined) fields[field] = message;
  }
  if (namedField !== null && fields[namedField] === undefined) fields[namedField] = typeof details.message === 'string' ? details.message : error.message;
  for (const [key, value] of Object.entries(details)) {
    const field = fieldOfPath(key);
    if (field !== null && fields[field] === undefined) fields[field] = typeof value === 'string' ? value : error.message;
  }
  return Object.keys(fields).length === 0 ? { fields, form: error.message } : { fields, form: null };
}

/**
 * Main's contract check answers "Invalid request for environments.add:
 * stateServers.0: not a host name or address; sshPort: …. Correct the value
 * and try again." with no details; this recovers the `[path, message]` pairs.
 */
export function issuesFromMessage(message: string): [string, string][] {
  const match = /^Invalid request for [\w.]+: (.*?)(?: \(and \d+ more\))?\. Correct the value and try again\.$/s.exec(message);
  if (match?.[1] === undefined) return [];
  return match[1].split('; ').flatMap((part): [string, string][] => {
    const colon = part.indexOf(': ');
    return colon <= 0 ? [] : [[part.slice(0, colon), part.slice(colon + 2)]];
  });
}
