import { describe, expect, it } from 'vitest';
import { manualEnvironmentInputSchema } from '../../../../shared/ipc/channels/environments';
import { parseAddresses } from './environment-form';
import { fieldErrorsFromEnvelope, fieldErrorsFromIssues, issuesFromMessage } from './field-errors';
import { environmentOptionLabel } from './environment-labels';
import { jujuEnvironment } from '../../testing/fake-api';

describe('field errors', () => {
  it('maps schema issues to fields, numbering the bad address', () => {
    const parsed = manualEnvironmentInputSchema.safeParse({ name: 'ok', stateServers: ['good.host', 'bad host!'], sshUser: 'ubuntu', sshPort: 22, keyFile: 'k' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(fieldErrorsFromIssues(parsed.error.issues)).toEqual({ stateServers: 'not a host name or address (address 2)' });
  });

  it('recovers field issues from the dispatcher sentence, including nested update paths', () => {
    expect(
      issuesFromMessage('Invalid request for environments.update: input.sshUser: not a valid user name; input.stateServers.1: not a host name or address (and 2 more). Correct the value and try again.'),
    ).toEqual([
      ['input.sshUser', 'not a valid user name'],
      ['input.stateServers.1', 'not a host name or address'],
    ]);
    expect(issuesFromMessage('Something else went wrong.')).toEqual([]);
  });

  it('puts conflicts on the name unless told otherwise, and unplaceable errors on the form', () => {
    expect(fieldErrorsFromEnvelope({ code: 'conflict', message: 'Taken.' })).toEqual({ fields: { name: 'Taken.' }, form: null });
    expect(fieldErrorsFromEnvelope({ code: 'conflict', message: 'Key in use.', details: { field: 'keyFile' } })).toEqual({ fields: { keyFile: 'Key in use.' }, form: null });
    expect(fieldErrorsFromEnvelope({ code: 'invalid-input', message: 'Bad.', details: { sshPort: 'port is closed' } })).toEqual({ fields: { sshPort: 'port is closed' }, form: null });
    expect(fieldErrorsFromEnvelope({ code: 'internal', message: 'Disk full.' })).toEqual({ fields: {}, form: 'Disk full.' });
    expect(fieldErrorsFromEnvelope({ code: 'invalid-input', message: 'Bad request.' })).toEqual({ fields: {}, form: 'Bad request.' });
  });
});

describe('environment labels and input', () => {
  it('splits addresses on lines, commas and spaces', () => {
    expect(parseAddresses(' a.example , b.example\n\n10.0.0.3  [::1]:22 ')).toEqual(['a.example', 'b.example', '10.0.0.3', '[::1]:22']);
  });

  it('marks a broken environment in its label', () => {
    expect(environmentOptionLabel(jujuEnvironment('x', { error: { code: 'environment-invalid', message: 'bad' } }))).toBe('x (Juju) — error');
  });
});
