import { mkdtemp, mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SecretRegistry } from '../../shared/redact';
import { createDispatcher } from '../services/ipc/dispatcher';
import { createEventHub } from '../services/ipc/event-hub';
import { createMemoryLogger } from '../services/log';
import { CONTENT_SECURITY_POLICY } from './security-headers';
import { cleanStaging, safeFileName } from './file-staging';
import { startBrowserHost, type BrowserHost } from './server';

let dir: string;
let host: BrowserHost;
const secrets = new SecretRegistry();
const log = createMemoryLogger(secrets);
const events = createEventHub({ log });

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(pathAndQuery: string, headers: Record<string, string> = {}, address = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, port: host.port, path: pathAndQuery, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with the socket, or with the refusal status. */
function connect(headers: Record<string, string>, query = ''): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

function nextFrame(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)));
}

async function cookie(): Promise<string> {
  const res = await get(`/?token=${host.token}`);
  const setCookie = res.headers['set-cookie']?.[0] ?? '';
  return setCookie.split(';')[0]!;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-host-'));
  const root = path.join(dir, 'renderer');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>Quorum</title>');
  await writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'secret.txt'), 'outside');
  await symlink(path.join(dir, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
  const dispatcher = createDispatcher(
    { 'operations.list': async () => ({ operations: [] }) },
    { log, secrets },
  );
  host = await startBrowserHost({ dispatcher, events, rendererDir: root, log, stagingDir: path.join(dir, 'staging') });
});

afterAll(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

describe('browser host', () => {
  it('prints a loopback URL with a 32-byte base64url token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('binds 127.0.0.1 only', async () => {
    const other = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (other !== undefined) await expect(get('/', {}, other)).rejects.toThrow(/ECONNREFUSED/);
    await expect(get('/', {}, '::1')).rejects.toThrow();
  });

  it('refuses HTTP without a token or with a wrong token (401)', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get(`/?token=${host.token}x`)).status).toBe(401);
    expect((await get('/assets/app.js', { cookie: `quorum-${host.port}=nope` })).status).toBe(401);
    expect((await get('/', { host: 'evil.example:80' })).status).toBe(403);
  });

  it('swaps the query token for an HttpOnly SameSite=Strict cookie and serves with CSP', async () => {
    const first = await get(`/?token=${host.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(first.headers['set-cookie']?.[0]).toBe(`quorum-${host.port}=${host.token}; HttpOnly; SameSite=Strict; Path=/`);
    const page = await get('/', { cookie: await cookie() });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Quorum</title>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    const js = await get('/assets/app.js', { cookie: await cookie() });
    expect(js.headers['content-type']).toContain('text/javascript');
  });

  it('confines files to the renderer folder', async () => {
    const c = await cookie();
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/link.txt', '/%00', '/assets/%5c..%5csecret.txt']) {
      const res = await get(p, { cookie: c });
      expect(res.status, p).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('outside');
    }
    expect((await get('/assets/missing.js', { cookie: c })).status).toBe(404);
    // Client-side routes fall back to index.html.
    expect((await get('/topology', { cookie: c })).body).toContain('<title>Quorum</title>');
  });

  it('refuses WebSocket upgrades without a token, with a wrong token or a foreign Origin', async () => {
    const origin = `http://127.0.0.1:${host.port}`;
    expect(await connect({ origin })).toBe(401);
    expect(await connect({ origin, cookie: `quorum-${host.port}=wrong` })).toBe(401);
    expect(await connect({ origin: 'http://evil.example', cookie: await cookie() })).toBe(403);
    expect(await connect({ origin: `http://localhost:${host.port}`, cookie: await cookie() })).toBe(403);
    expect(await connect({ cookie: await cookie() })).toBe(403);
  });

  it('marks token refusals as Quorum\'s (on /session without an error status), and answers /session 204 to a page with the token, so a tab can tell a restarted host', async () => {
    const refused = await get('/session', { cookie: `quorum-${host.port}=an-old-launch-token` });
    expect(refused.status).toBe(200);
    expect(refused.headers['x-quorum-refused']).toBe('token');
    const ok = await get('/session', { cookie: await cookie() });
    expect(ok.status).toBe(204);
    expect(ok.headers['x-quorum-refused']).toBeUndefined();
    const upgrade = await new Promise<http.IncomingMessage>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, { headers: { origin: `http://127.0.0.1:${host.port}`, cookie: `quorum-${host.port}=old` } });
      ws.once('unexpected-response', (_req, res) => resolve(res));
      ws.once('error', () => undefined);
    });
    expect(upgrade.statusCode).toBe(401);
    expect(upgrade.headers['x-quorum-refused']).toBe('token');
    // Other refusals (a foreign Origin) are not a restart.
    const foreign = await new Promise<http.IncomingMessage>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, { headers: { origin: 'http://evil.example', cookie: 'x=y' } });
      ws.once('unexpected-response', (_req, res) => resolve(res));
      ws.once('error', () => undefined);
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers['x-quorum-refused']).toBeUndefined();
  });

  it('carries invokes, results and events over an authenticated WebSocket', async () => {
    const ws = await connect({ origin: `http://127.0.0.1:${host.port}`, cookie: await cookie() });
    expect(ws).toBeInstanceOf(WebSocket);
    if (!(ws instanceof WebSocket)) return;
    ws.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'operations.list', payload: {} }));
    expect(await nextFrame(ws)).toEqual({ type: 'result', id: 1, result: { ok: true, value: { operations: [] } } });

    ws.send(JSON.stringify({ type: 'invoke', id: 2, channel: 'no.such', payload: {} }));
    expect(await nextFrame(ws)).toMatchObject({ id: 2, result: { ok: false, error: { code: 'invalid-input' } } });

    ws.send(JSON.stringify({ type: 'bogus', id: 3 }));
    expect(await nextFrame(ws)).toMatchObject({ id: 3, result: { ok: false, error: { code: 'invalid-input' } } });

    // Frames without an id, and non-JSON, get no answer at all; the next valid frame still works.
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'invoke' }));
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const frame = nextFrame(ws);
    events.emit('environments.changed', { environments: [], selectedId: 'sandbox' });
    expect(await frame).toEqual({ type: 'event', event: 'environments.changed', payload: { environments: [], selectedId: 'sandbox' } });
    ws.close();
  });

  it('accepts the token in the WebSocket query too and closes oversized frames', async () => {
    const ws = await connect({ origin: `http://127.0.0.1:${host.port}` }, `?token=${host.token}`);
    expect(ws).toBeInstanceOf(WebSocket);
    if (!(ws instanceof WebSocket)) return;
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
  });

  it('stages dropped files streamed from our own page only, 0600, never outside the staging folder', async () => {
    const origin = `http://127.0.0.1:${host.port}`;
    const post = (headers: Record<string, string>, body: string | Buffer, name = 'juju-backup-20260101-000000.tar.gz') =>
      new Promise<Reply>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: host.port, method: 'POST', path: `/files?name=${encodeURIComponent(name)}`, headers: { host: `127.0.0.1:${host.port}`, ...headers } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const c = await cookie();
    expect((await post({ origin, 'x-quorum-upload': '1' }, 'x')).status).toBe(401);
    expect((await post({ cookie: c, 'x-quorum-upload': '1' }, 'x')).status).toBe(403);
    expect((await post({ cookie: c, origin: 'http://evil.example', 'x-quorum-upload': '1' }, 'x')).status).toBe(403);
    expect((await post({ cookie: c, origin }, 'x')).status).toBe(403);
    expect((await get('/files', { cookie: c })).status).toBe(405);

    const content = Buffer.alloc(3 * 1024 * 1024, 7);
    const ok = await post({ cookie: c, origin, 'x-quorum-upload': '1' }, content);
    expect(ok.status).toBe(200);
    const staged = JSON.parse(ok.body) as { localPath: string; bytes: number };
    expect(staged.bytes).toBe(content.length);
    expect(path.dirname(staged.localPath)).toBe(path.join(dir, 'staging'));
    expect(staged.localPath).toMatch(/-juju-backup-20260101-000000\.tar\.gz$/);
    expect((await readFile(staged.localPath)).equals(content)).toBe(true);
    expect((await stat(staged.localPath)).mode & 0o777).toBe(0o600);

    const sneaky = JSON.parse((await post({ cookie: c, origin, 'x-quorum-upload': '1' }, 'y', '../../../etc/cron.d/x')).body) as { localPath: string };
    expect(path.dirname(sneaky.localPath)).toBe(path.join(dir, 'staging'));
    expect(safeFileName('..\\..\\a b.tar.gz')).toBe('a_b.tar.gz');
    expect(safeFileName('...')).toBe('upload.bin');
  });

  it('leaves nothing behind when an upload is cut off, and cleans staged files older than a day', async () => {
    const c = await cookie();
    const staging = path.join(dir, 'staging');
    const before = new Set(await readdir(staging));
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port: host.port,
        method: 'POST',
        path: '/files?name=cut.tar.gz',
        headers: { host: `127.0.0.1:${host.port}`, cookie: c, origin: `http://127.0.0.1:${host.port}`, 'x-quorum-upload': '1', 'content-length': '10000000' },
      });
      req.on('error', () => {});
      req.write(Buffer.alloc(64 * 1024));
      setTimeout(() => {
        req.destroy();
        setTimeout(resolve, 100);
      }, 100);
    });
    // The server notices the cut-off connection asynchronously: give it a moment.
    let after: string[] = [];
    for (let i = 0; i < 20; i++) {
      after = (await readdir(staging)).filter((n) => !before.has(n));
      if (after.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toEqual([]);

    const old = path.join(staging, 'old.tar.gz');
    await writeFile(old, 'x');
    await utimes(old, new Date(Date.now() - 2 * 86_400_000), new Date(Date.now() - 2 * 86_400_000));
    expect(await cleanStaging(staging)).toBe(1);
    expect(await readdir(staging)).not.toContain('old.tar.gz');
  });
});
