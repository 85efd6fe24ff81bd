import { describe, expect, it, vi } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import { createMemoryLogger } from '../log';
import { createDispatcher, type SenderInfo } from './dispatcher';

const sender: SenderInfo = { host: 'browser', id: 'ws-1' };

function setup() {
  const secrets = new SecretRegistry();
  secrets.add('hunter2-statepassword');
  const log = createMemoryLogger(secrets);
  return { secrets, log };
}

describe('dispatcher', () => {
  it('answers a valid request with the handler value, parsed against the response schema', async () => {
    const { secrets, log } = setup();
    const d = createDispatcher(
      {
        'app.info': async () =>
          ({ version: '1', host: 'browser', platform: 'linux', quorumHome: '/q', password: 'leak' }) as never,
      },
      { log, secrets },
    );
    const result = await d.dispatch('app.info', {}, sender);
    expect(result).toEqual({ ok: true, value: { version: '1', host: 'browser', platform: 'linux', quorumHome: '/q' } });
  });

  it('refuses unknown channels with invalid-input and calls no handler', async () => {
    const { secrets, log } = setup();
    const handler = vi.fn(async () => ({ operations: [] }));
    const d = createDispatcher({ 'operations.list': handler }, { log, secrets });
    for (const channel of ['nope', 'toString', '__proto__', 42, null, 'hunter2-statepassword']) {
      const result = await d.dispatch(channel, {}, sender);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('invalid-input');
        expect(result.error.message).not.toContain('hunter2');
      }
    }
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses invalid payloads naming the field without echoing the value', async () => {
    const { secrets, log } = setup();
    const handler = vi.fn();
    const d = createDispatcher({ 'environments.add': handler }, { log, secrets });
    const result = await d.dispatch(
      'environments.add',
      { name: 'ok', stateServers: ['s3cr3t-value;x'], sshUser: 'ubuntu', sshPort: 22, keyFile: '/k' },
      sender,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid-input');
    expect(result.error.message).toContain('stateServers.0');
    expect(result.error.message).not.toContain('s3cr3t-value');
    expect(handler).not.toHaveBeenCalled();
    const extra = await d.dispatch('environments.add', { name: 'ok', stateServers: ['h'], sshUser: 'ubuntu', sshPort: 22, keyFile: '/k', password: 'hunter2-statepassword' }, sender);
    expect(extra.ok).toBe(false);
    if (!extra.ok) expect(extra.error.message).not.toContain('hunter2');
  });

  it('answers not-found for a contract channel with no handler yet', async () => {
    const { secrets, log } = setup();
    const d = createDispatcher({}, { log, secrets });
    const result = await d.dispatch('environments.list', {}, sender);
    expect(result).toMatchObject({ ok: false, error: { code: 'not-found' } });
    if (!result.ok) expect(result.error.message).toContain('is not available in this version');
  });

  it('serializes QuorumErrors with secrets redacted', async () => {
    const { secrets, log } = setup();
    const d = createDispatcher(
      {
        'environments.select': async () => {
          throw new QuorumError('conflict', 'Password hunter2-statepassword did not work. Check it.', {
            details: { note: 'hunter2-statepassword' },
          });
        },
      },
      { log, secrets },
    );
    const result = await d.dispatch('environments.select', { id: 'x' }, sender);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('conflict');
    expect(JSON.stringify(result.error)).not.toContain('hunter2');
    expect(result.error.message).toContain('[redacted]');
  });

  it('maps anything else to internal, logged and redacted', async () => {
    const { secrets, log } = setup();
    const d = createDispatcher(
      {
        'environments.list': async () => {
          throw new Error('driver said statepassword: hunter2-statepassword at 10.0.0.1');
        },
      },
      { log, secrets },
    );
    const result = await d.dispatch('environments.list', {}, sender);
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    if (!result.ok) expect(result.error.message).not.toContain('10.0.0.1');
    const logged = log.lines.join('\n');
    expect(logged).toContain('environments.list failed');
    expect(logged).not.toContain('hunter2');
  });

  it('maps a response that breaks the contract to internal', async () => {
    const { secrets, log } = setup();
    const d = createDispatcher({ 'operations.list': async () => ({ operations: 'nope' }) as never }, { log, secrets });
    expect(await d.dispatch('operations.list', {}, sender)).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('registers handlers once per channel', () => {
    const { secrets, log } = setup();
    const d = createDispatcher({ 'operations.list': async () => ({ operations: [] }) }, { log, secrets });
    expect(() => d.register({ 'operations.list': async () => ({ operations: [] }) })).toThrow(/already registered/);
    d.register({ 'app.info': async () => ({ version: '1', host: 'browser', platform: 'x', quorumHome: '/' }) });
    expect(d.registered()).toEqual(['operations.list', 'app.info']);
  });
});
