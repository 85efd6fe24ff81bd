import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { QuorumError } from '../../shared/errors';
import { SecretRegistry } from '../../shared/redact';
import { probeSession } from '../../renderer/src/bridge/session-probe';
import { createWsBridge, DISCONNECTED_MESSAGE, RESTARTED_MESSAGE, type BridgeStatus, type QuorumBridge } from '../../renderer/src/bridge/ws-bridge';
import { createDispatcher } from '../services/ipc/dispatcher';
import { createEventHub } from '../services/ipc/event-hub';
import { createMemoryLogger } from '../services/log';
import { startBrowserHost, type BrowserHost } from './server';

/**
 * The renderer's WebSocket bridge against the real browser-mode host: the
 * same code the browser runs, with `ws` standing in for the browser's
 * WebSocket (it sends the Origin and cookie a browser would).
 */
let dir: string;
let host: BrowserHost;
let port = 0;
let bridge: QuorumBridge | null = null;
const secrets = new SecretRegistry();
const log = createMemoryLogger(secrets);
const events = createEventHub({ log });
let release: (() => void) | null = null;
const dispatcher = createDispatcher(
  {
    'operations.list': async () => ({ operations: [] }),
    'environments.select': async () => {
      throw new QuorumError('not-found', 'No environment x. Pick one from the list.');
    },
    'environments.list': () =>
      new Promise((resolve) => {
        release = () => resolve({ environments: [], selectedId: 'sandbox' });
      }),
  },
  { log, secrets },
);

const TOKEN = 'fixed-test-token-0123456789';

async function start(token = TOKEN): Promise<void> {
  host = await startBrowserHost({ dispatcher, events, rendererDir: dir, log, port, token });
  port = host.port;
}

/** The page's cookie, as the browser would send it with the WebSocket and the probe. */
const pageCookie = () => `quorum-${port}=${TOKEN}`;

/** The renderer's own probe, with the page's origin and cookie a browser would add. */
const probe = () =>
  probeSession((input) => fetch(`http://127.0.0.1:${port}${input}`, { headers: { cookie: pageCookie() }, cache: 'no-store' } as RequestInit));

function makeBridge(): QuorumBridge {
  return createWsBridge({
    createSocket: () =>
      new WebSocket(`ws://127.0.0.1:${port}/ws`, {
        headers: { origin: `http://127.0.0.1:${port}`, cookie: pageCookie() },
      }),
    initialDelayMs: 20,
    maxDelayMs: 100,
    probe,
  });
}

function waitForStatus(b: QuorumBridge, wanted: BridgeStatus): Promise<void> {
  return new Promise((resolve) => {
    if (b.status() === wanted) return resolve();
    const off = b.onStatus((s) => {
      if (s === wanted) {
        off();
        resolve();
      }
    });
  });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-bridge-'));
  port = 0;
  await start();
});

afterEach(async () => {
  bridge?.close();
  bridge = null;
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

describe('WebSocket bridge', () => {
  it('invokes channels and receives results and events', async () => {
    bridge = makeBridge();
    expect(await bridge.invoke('operations.list', {})).toEqual({ ok: true, value: { operations: [] } });
    expect(await bridge.invoke('environments.select', { id: 'x' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await bridge.invoke('nope' as never, {} as never)).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(bridge.status()).toBe('connected');
    const got = new Promise((resolve) => bridge!.on('environments.changed', resolve));
    events.emit('environments.changed', { environments: [], selectedId: 'manual:x' });
    expect(await got).toEqual({ environments: [], selectedId: 'manual:x' });
  });

  it('fails pending invokes on disconnect, reconnects, and keeps listeners', async () => {
    bridge = makeBridge();
    await waitForStatus(bridge, 'connected');
    const seen: string[] = [];
    bridge.on('environments.changed', (list) => seen.push(list.selectedId));
    const hanging = bridge.invoke('environments.list', {});
    const hangingFails = expect(hanging).rejects.toThrow(DISCONNECTED_MESSAGE);
    await new Promise((r) => setTimeout(r, 20));
    await host.close();
    await hangingFails;
    expect(bridge.status()).toBe('lost');
    await expect(bridge.invoke('operations.list', {})).rejects.toThrow(DISCONNECTED_MESSAGE);
    release?.();
    await start();
    await waitForStatus(bridge, 'connected');
    expect(await bridge.invoke('operations.list', {})).toMatchObject({ ok: true });
    events.emit('environments.changed', { environments: [], selectedId: 'sandbox' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['sandbox']);
  });

  it('says Quorum was restarted, and stops retrying, when a new launch on the same address refuses the page\'s token', async () => {
    bridge = makeBridge();
    await waitForStatus(bridge, 'connected');
    const statuses: BridgeStatus[] = [];
    bridge.onStatus((s) => statuses.push(s));
    release?.();
    await host.close();
    await start('a-new-launch-token-9876543210');
    await waitForStatus(bridge, 'restarted');
    expect(statuses).toEqual(['lost', 'restarted']);
    await expect(bridge.invoke('operations.list', {})).rejects.toThrow(RESTARTED_MESSAGE);
    // No more attempts: the host logs no further refusals.
    const refusals = () => log.lines.filter((line) => line.includes('Refused a WebSocket upgrade')).length;
    const before = refusals();
    await new Promise((r) => setTimeout(r, 400));
    expect(refusals()).toBe(before);
  });
});
