import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretRegistry } from '../../shared/redact';
import { createDispatcher } from '../services/ipc/dispatcher';
import { createEventHub } from '../services/ipc/event-hub';
import { createMemoryLogger } from '../services/log';

/**
 * The Electron binary cannot run on these machines, so this drives the
 * Electron glue against a recording stand-in for the `electron` module:
 * what the window is created with, what its handlers decide, what the IPC
 * handler does with trusted and untrusted senders, and what the app://
 * protocol serves.
 */
const recorded = vi.hoisted(() => ({
  windows: [] as Array<{ options: Record<string, unknown>; handlers: Map<string, (...a: unknown[]) => void>; openHandler?: (d: { url: string }) => unknown; loaded?: string; sent: unknown[]; id: number }>,
  ipcHandlers: new Map<string, (...a: unknown[]) => Promise<unknown>>(),
  protocolHandlers: new Map<string, (req: Request) => Promise<Response>>(),
  privileged: [] as unknown[],
  external: [] as string[],
}));

vi.mock('electron', () => {
  class BrowserWindow {
    static all: BrowserWindow[] = [];
    static getAllWindows() {
      return BrowserWindow.all;
    }
    readonly record;
    readonly webContents;
    constructor(options: Record<string, unknown>) {
      const record = { options, handlers: new Map(), sent: [] as unknown[], id: recorded.windows.length + 1 } as (typeof recorded.windows)[number];
      recorded.windows.push(record);
      this.record = record;
      this.webContents = {
        id: record.id,
        on: (event: string, handler: (...a: unknown[]) => void) => record.handlers.set(event, handler),
        setWindowOpenHandler: (h: (d: { url: string }) => unknown) => (record.openHandler = h),
        send: (...args: unknown[]) => record.sent.push(args),
      };
      BrowserWindow.all.push(this);
    }
    once() {}
    isDestroyed() {
      return false;
    }
    loadURL(url: string) {
      this.record.loaded = url;
      return Promise.resolve();
    }
  }
  return {
    BrowserWindow,
    shell: { openExternal: (url: string) => recorded.external.push(url) },
    ipcMain: {
      handle: (channel: string, fn: (...a: unknown[]) => Promise<unknown>) => recorded.ipcHandlers.set(channel, fn),
      removeHandler: (channel: string) => recorded.ipcHandlers.delete(channel),
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => recorded.privileged.push(...schemes),
      handle: (scheme: string, fn: (req: Request) => Promise<Response>) => recorded.protocolHandlers.set(scheme, fn),
    },
  };
});

const { createMainWindow } = await import('./window');
const { registerIpc } = await import('./ipc');
const { registerAppScheme, serveRenderer } = await import('./protocol');
const { CONTENT_SECURITY_POLICY } = await import('../host/security-headers');

const secrets = new SecretRegistry();
const log = createMemoryLogger(secrets);

describe('Electron window', () => {
  it('is created locked down and loads app://quorum', () => {
    createMainWindow({ preload: '/app/out/preload/index.cjs', log });
    const win = recorded.windows.at(-1)!;
    expect(win.options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(win.loaded).toBe('app://quorum/index.html');
  });

  it('denies navigation away, webviews and new windows; opens only allowlisted https links outside', () => {
    createMainWindow({ preload: '/p.cjs', log });
    const win = recorded.windows.at(-1)!;
    const attempt = (event: string, url: string) => {
      const e = { preventDefault: vi.fn(), url };
      win.handlers.get(event)!(e, url);
      return e.preventDefault.mock.calls.length > 0;
    };
    expect(attempt('will-navigate', 'https://evil.example/')).toBe(true);
    expect(attempt('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(attempt('will-navigate', 'app://quorum/index.html#/backups')).toBe(false);
    expect(attempt('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(attempt('will-frame-navigate', 'https://evil.example/')).toBe(true);
    expect(attempt('will-attach-webview', 'app://quorum/')).toBe(true);
    expect(win.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(win.openHandler!({ url: 'https://juju.is/docs' })).toEqual({ action: 'deny' });
    expect(recorded.external).toEqual(['https://juju.is/docs']);
  });
});

describe('Electron IPC', () => {
  beforeEach(() => recorded.ipcHandlers.clear());

  it('answers trusted senders through the dispatcher and refuses everyone else with forbidden', async () => {
    const handler = vi.fn(async () => ({ operations: [] }));
    const dispatcher = createDispatcher({ 'operations.list': handler }, { log, secrets });
    const events = createEventHub({ log });
    const stop = registerIpc({ dispatcher, events, trustedWindows: new Set([1]), log });
    const invoke = recorded.ipcHandlers.get('quorum:invoke')!;
    const frame = (url: string, parent: unknown = null) => ({ url, parent });
    expect(await invoke({ sender: { id: 1 }, senderFrame: frame('app://quorum/index.html') }, 'operations.list', {})).toEqual({
      ok: true,
      value: { operations: [] },
    });
    for (const event of [
      { sender: { id: 2 }, senderFrame: frame('app://quorum/index.html') },
      { sender: { id: 1 }, senderFrame: frame('https://evil.example/') },
      { sender: { id: 1 }, senderFrame: frame('app://quorum/index.html', {}) },
      { sender: { id: 1 }, senderFrame: null },
    ]) {
      expect(await invoke(event, 'operations.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(handler).toHaveBeenCalledTimes(1);
    expect(await invoke({ sender: { id: 1 }, senderFrame: frame('app://quorum/') }, 'nope', {})).toMatchObject({
      ok: false,
      error: { code: 'invalid-input' },
    });
    stop();
    expect(recorded.ipcHandlers.has('quorum:invoke')).toBe(false);
  });

  it('pushes events to trusted windows only', () => {
    recorded.windows.length = 0;
    createMainWindow({ preload: '/p.cjs', log });
    createMainWindow({ preload: '/p.cjs', log });
    const events = createEventHub({ log });
    const dispatcher = createDispatcher({}, { log, secrets });
    const trusted = recorded.windows[0]!.id;
    const stop = registerIpc({ dispatcher, events, trustedWindows: new Set([trusted]), log });
    events.emit('environments.changed', { environments: [], selectedId: 'sandbox' });
    const byId = (id: number) => recorded.windows.find((w) => w.id === id)!;
    expect(byId(trusted).sent).toEqual([['quorum:event', { event: 'environments.changed', payload: { environments: [], selectedId: 'sandbox' } }]]);
    expect(recorded.windows.filter((w) => w.id !== trusted).flatMap((w) => w.sent)).toEqual([]);
    stop();
  });
});

describe('app:// protocol', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-proto-'));
    await mkdir(path.join(dir, 'renderer', 'assets'), { recursive: true });
    await writeFile(path.join(dir, 'renderer', 'index.html'), '<!doctype html>');
    await writeFile(path.join(dir, 'renderer', 'assets', 'a.js'), 'x');
    await writeFile(path.join(dir, 'secret.txt'), 'outside');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('registers a standard secure scheme without CSP bypass', () => {
    registerAppScheme();
    expect(recorded.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
    ]);
  });

  it('serves the renderer with the CSP header and nothing outside it', async () => {
    serveRenderer(path.join(dir, 'renderer'));
    const handle = recorded.protocolHandlers.get('app')!;
    const page = await handle(new Request('app://quorum/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await handle(new Request('app://quorum/assets/a.js'))).headers.get('content-type')).toContain('javascript');
    for (const url of ['app://quorum/%2e%2e/secret.txt', 'app://quorum/assets/..%2f..%2fsecret.txt', 'app://other/index.html', 'app://quorum/missing.js']) {
      const res = await handle(new Request(url));
      expect(res.status, url).toBe(404);
      expect(await res.text()).not.toContain('outside');
    }
    expect((await handle(new Request('app://quorum/index.html', { method: 'POST', body: 'x' }))).status).toBe(404);
  });
});
