import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SecretRegistry } from '../../../shared/redact';
import type { ConnectionTarget } from '../environments/target';
import { createMemoryLogger } from '../log';
import { SshClient } from '../ssh/ssh-client';
import { SSH_PORT_HINT } from '../ssh/ssh-errors';
import { generateKeyPair } from '../ssh/test-ssh-server';
import { ConnectionManager } from './connection-manager';

/** Lifecycle of the manager: one environment at a time, reuse, switching, unreachable reported with backoff. */

let dir: string;
let keyFile: string;
let closedPort: number;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-cm-'));
  keyFile = path.join(dir, 'id');
  await fs.writeFile(keyFile, generateKeyPair('ed25519').private, { mode: 0o600 });
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function target(id: string, addresses: readonly string[]): ConnectionTarget {
  return {
    environmentId: id,
    name: id,
    kind: 'manual',
    sshUser: 'ubuntu',
    keyFile,
    stateServers: addresses.map((address) => ({ address, ssh: { host: '127.0.0.1', port: closedPort } })),
    sshEndpointFor: () => ({ host: '127.0.0.1', port: closedPort }),
    caCertPem: null,
    vouchedHostKeys: new Map(),
  };
}

let logger = createMemoryLogger(new SecretRegistry());

function manager(): ConnectionManager {
  const secrets = new SecretRegistry();
  logger = createMemoryLogger(secrets);
  return new ConnectionManager({ quorumHome: dir, secrets, logger, backoff: { initialMs: 100, maxMs: 200 } });
}

describe('ConnectionManager', () => {
  it('reuses the open connection for the same target and closes it when another environment is opened', async () => {
    const m = manager();
    try {
      const a = m.open(target('manual:a', ['10.0.0.1', '10.0.0.2']));
      expect(m.open(target('manual:a', ['10.0.0.1', '10.0.0.2']))).toBe(a);
      expect(a.sessions().map((s) => s.address)).toEqual(['10.0.0.1', '10.0.0.2']);
      const b = m.open(target('manual:b', ['10.0.1.1']));
      expect(b).not.toBe(a);
      expect(a.closed).toBe(true);
      expect(m.current).toBe(b);
      expect(() => m.connection('manual:a')).toThrow(/not connected/);
      expect(m.status('manual:a').stateServers).toEqual([]);
      // Same id reached differently (e.g. the sandbox restarted on new ports): a fresh connection.
      const b2 = m.open(target('manual:b', ['10.0.1.1', '10.0.1.2']));
      expect(b2).not.toBe(b);
      expect(b.closed).toBe(true);
    } finally {
      await m.close();
    }
  });

  it('reports an unreachable host with the actionable message and keeps retrying at the pace of the backoff', async () => {
    const m = manager();
    try {
      const env = m.open(target('manual:c', ['10.0.2.1']));
      await expect(env.stateServer('10.0.2.1')).rejects.toMatchObject({
        code: 'host-unreachable',
        message: `Could not reach 10.0.2.1 (127.0.0.1:${closedPort}) over SSH: connection refused. Check the machine is running and its SSH server listens on port ${closedPort}, then retry. ${SSH_PORT_HINT}`,
      });
      const changes: string[] = [];
      m.on('changed', (s) => changes.push(s.stateServers[0]!.state));
      const session = env.sessions()[0]!;
      expect(session.state).toBe('unreachable');
      // Retries happen in the background, paced by the backoff, without flapping the reported state.
      const dials = vi.spyOn(SshClient, 'connect');
      try {
        await new Promise((r) => setTimeout(r, 700));
        expect(dials.mock.calls.length).toBeGreaterThanOrEqual(2);
        expect(dials.mock.calls.length).toBeLessThanOrEqual(8);
      } finally {
        dials.mockRestore();
      }
      expect(changes.every((s) => s === 'unreachable')).toBe(true);
      expect(session.state).toBe('unreachable');
      // Written once at info, with the port tried, however many times it was retried.
      const logged = logger.lines.filter((line) => line.startsWith('info [conn.manual:c] 10.0.2.1: unreachable: Could not reach'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain(`127.0.0.1:${closedPort}`);
    } finally {
      await m.close();
    }
  });
});
