import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from './app-services';

let dir: string;
let services: AppServices;
const sender = { host: 'browser' as const, id: 'test' };

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-app-'));
  services = createAppServices({ home: dir, host: 'browser', env: { JUJU_HOME: path.join(dir, 'no-juju') }, homedir: dir, logToStderr: false });
});
afterEach(async () => {
  await services.close();
  await rm(dir, { recursive: true, force: true });
});

describe('composition root', () => {
  it('wires the core channels behind one dispatcher', async () => {
    const info = await services.dispatcher.dispatch('app.info', {}, sender);
    expect(info).toMatchObject({ ok: true, value: { host: 'browser', quorumHome: dir } });
    expect(await services.dispatcher.dispatch('operations.list', {}, sender)).toEqual({ ok: true, value: { operations: [] } });
    const list = await services.dispatcher.dispatch('environments.list', {}, sender);
    expect(list).toMatchObject({ ok: true, value: { selectedId: 'sandbox', environments: [{ id: 'sandbox' }] } });
    for (const channel of ['app.info', 'operations.list', 'operations.cancel', 'environments.list', 'environments.select', 'environments.add']) {
      expect(services.dispatcher.registered()).toContain(channel);
    }
  });

  it('logs to QUORUM_HOME/logs/quorum.log with secrets redacted, and closes idempotently', async () => {
    services.secrets.add('agent-password-123456');
    services.log.info('connecting with agent-password-123456', { statepassword: 'x' });
    await Promise.all([services.close(), services.close()]);
    const text = await readFile(path.join(dir, 'logs', 'quorum.log'), 'utf8');
    expect(text).toContain('connecting with [redacted]');
    expect(text).not.toContain('agent-password-123456');
  });
});
