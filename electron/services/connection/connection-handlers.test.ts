import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventChannel } from '../../../shared/ipc/contract';
import { SecretRegistry } from '../../../shared/redact';
import type { ConnectionTarget } from '../environments/target';
import { createDispatcher, type SenderInfo } from '../ipc/dispatcher';
import { createMemoryLogger } from '../log';
import { ConnectionManager } from './connection-manager';
import { registerConnectionHandlers } from './connection-handlers';
import { generateKeyPair } from '../ssh/test-ssh-server';

/**
 * The connection channels through the real dispatcher: the passphrase flow
 * (and that the passphrase shows up nowhere: not in results, errors or log
 * lines), status, events, and trustHostKey's refusals.
 */

const sender: SenderInfo = { host: 'browser', id: 'ws-test' };
const PASSPHRASE = 'my very private key passphrase';
let dir: string;
let keyFile: string;
let closedPort: number;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-conn-h-'));
  keyFile = path.join(dir, 'juju_id_rsa');
  await fs.writeFile(keyFile, generateKeyPair('ed25519', { passphrase: PASSPHRASE, cipher: 'aes256-ctr', rounds: 4 }).private, {
    mode: 0o600,
  });
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function target(): ConnectionTarget {
  return {
    environmentId: 'manual:lab',
    name: 'lab',
    kind: 'manual',
    sshUser: 'ubuntu',
    keyFile,
    stateServers: [{ address: '10.0.0.5', ssh: { host: '127.0.0.1', port: closedPort } }],
    sshEndpointFor: () => ({ host: '127.0.0.1', port: closedPort }),
    caCertPem: null,
    vouchedHostKeys: new Map(),
  };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('connection handlers', () => {
  it('carries the passphrase flow without the passphrase reaching results, errors or logs', async () => {
    const secrets = new SecretRegistry();
    const log = createMemoryLogger(secrets);
    const manager = new ConnectionManager({ quorumHome: dir, secrets, logger: log, backoff: { initialMs: 50, maxMs: 100 } });
    const dispatcher = createDispatcher({}, { log, secrets });
    const emitted: Array<{ event: EventChannel; payload: unknown }> = [];
    const unsubscribe = registerConnectionHandlers({ manager, secrets, dispatcher, events: { emit: (event, payload) => emitted.push({ event, payload }) } });
    try {
      manager.open(target());
      const status = async () => {
        const r = await dispatcher.dispatch('connection.status', { environmentId: 'manual:lab' }, sender);
        if (!r.ok) throw new Error(r.error.message);
        return r.value as { stateServers: Array<{ state: string; error?: { code: string } }> };
      };
      await until(async () => (await status()).stateServers[0]?.error?.code === 'passphrase-required');
      expect((await status()).stateServers[0]).toMatchObject({ address: '10.0.0.5', state: 'error', machineId: null });

      const wrong = await dispatcher.dispatch('connection.providePassphrase', { environmentId: 'manual:lab', passphrase: `${PASSPHRASE}x` }, sender);
      expect(wrong).toMatchObject({ ok: false, error: { code: 'passphrase-required', details: { wrongPassphrase: true } } });

      const malformed = await dispatcher.dispatch('connection.providePassphrase', { environmentId: 'manual:lab', passphrase: PASSPHRASE, extra: 1 }, sender);
      expect(malformed).toMatchObject({ ok: false, error: { code: 'invalid-input' } });

      const right = await dispatcher.dispatch('connection.providePassphrase', { environmentId: 'manual:lab', passphrase: PASSPHRASE }, sender);
      expect(right).toEqual({ ok: true, value: {} });
      // The key opens now; the host itself is down, which is reported as such.
      await until(async () => (await status()).stateServers[0]?.error?.code === 'host-unreachable');
      expect((await status()).stateServers[0]!.state).toBe('unreachable');

      expect(emitted.some((e) => e.event === 'connection.changed')).toBe(true);
      log.info('request payload', { channel: 'connection.providePassphrase', payload: { passphrase: PASSPHRASE } });
      const everything = JSON.stringify([wrong, malformed, right, emitted, await status()]) + log.lines.join('\n');
      expect(everything).not.toContain(PASSPHRASE);
      // Even a passphrase nobody registered is masked when logged under its key.
      expect(new SecretRegistry().redact(JSON.stringify({ passphrase: 'not registered at all' }))).not.toContain('not registered');
    } finally {
      unsubscribe();
      await manager.close();
    }
  });

  it('refuses to trust hosts outside the environment and malformed fingerprints', async () => {
    const secrets = new SecretRegistry();
    const log = createMemoryLogger(secrets);
    const manager = new ConnectionManager({ quorumHome: dir, secrets, logger: log });
    const dispatcher = createDispatcher({}, { log, secrets });
    registerConnectionHandlers({ manager, secrets, dispatcher, events: { emit: () => undefined } });
    try {
      const fingerprint = `SHA256:${'A'.repeat(43)}`;
      const notOpen = await dispatcher.dispatch('connection.trustHostKey', { environmentId: 'manual:lab', host: '127.0.0.1', port: 22, fingerprint }, sender);
      expect(notOpen).toMatchObject({ ok: false, error: { code: 'not-found' } });
      manager.open(target());
      const stranger = await dispatcher.dispatch('connection.trustHostKey', { environmentId: 'manual:lab', host: '192.0.2.1', port: 22, fingerprint }, sender);
      expect(stranger).toMatchObject({ ok: false, error: { code: 'not-found' } });
      const bad = await dispatcher.dispatch('connection.trustHostKey', { environmentId: 'manual:lab', host: '127.0.0.1', port: 22, fingerprint: 'MD5:aa' }, sender);
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      await expect(fs.stat(path.join(dir, 'known_hosts'))).rejects.toThrow();
    } finally {
      await manager.close();
    }
  });
});
