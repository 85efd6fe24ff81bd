import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { fail } from '../../shared/ipc/envelope';
import { SESSION_PATH, TOKEN_REFUSED_HEADER, WS_MAX_FRAME_BYTES, WS_PATH, wsClientFrameSchema, wsRequestIdSchema, type WsServerFrame } from '../../shared/ipc/ws-protocol';
import type { Dispatcher } from '../services/ipc/dispatcher';
import type { EventHub } from '../services/ipc/event-hub';
import { describeError, type Logger } from '../services/log';
import { cleanStaging, STAGING_HEADER, STAGING_PATH, stageUpload } from './file-staging';
import { contentTypeFor, securityHeaders } from './security-headers';
import { resolveRendererFile } from './static-files';

export interface BrowserHostOptions {
  readonly dispatcher: Pick<Dispatcher, 'dispatch'>;
  readonly events: Pick<EventHub, 'subscribe'>;
  /** The built renderer (`out/renderer`). */
  readonly rendererDir: string;
  /** 0 (default) picks any free port. */
  readonly port?: number;
  readonly log: Logger;
  /** Fixed token, for tests only; otherwise 32 random bytes per launch. */
  readonly token?: string;
  /** Where dropped files are staged (`QUORUM_HOME/staging`); without it, uploads are refused. */
  readonly stagingDir?: string;
  /** Told when a tab's WebSocket closes (`browser:ws-N`, `gone`), so its topology watch ends now rather than when it lapses. */
  readonly audience?: (watcher: string, state: 'gone') => void;
}

export interface BrowserHost {
  /** `http://127.0.0.1:<port>/?token=<token>`: the one URL that opens the console. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** Outgoing bytes a slow client may leave unread before it is dropped. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;

/**
 * Browser mode: the same services as Electron, served to a browser on
 * loopback. Only 127.0.0.1 is bound; every HTTP request and WebSocket
 * upgrade must carry the per-launch token (the first page load brings it in
 * the query and swaps it for an HttpOnly, SameSite=Strict cookie), and the
 * WebSocket also checks Host and Origin, so neither other local users'
 * browsers nor web pages (DNS rebinding, cross-site WebSockets) can drive it.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const log = options.log.child('browser-host');
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenDigest = digest(token);
  let port = 0;
  const cookieName = () => `quorum-${port}`;
  const expectedHost = () => `127.0.0.1:${port}`;
  const expectedOrigin = () => `http://127.0.0.1:${port}`;

  const validToken = (candidate: string | null | undefined): boolean =>
    typeof candidate === 'string' && candidate.length > 0 && candidate.length <= 256 && timingSafeEqual(digest(candidate), tokenDigest);

  const requestToken = (req: IncomingMessage, url: URL): { valid: boolean; fromQuery: boolean } => {
    if (validToken(readCookie(req.headers.cookie, cookieName()))) return { valid: true, fromQuery: false };
    if (validToken(url.searchParams.get('token'))) return { valid: true, fromQuery: true };
    return { valid: false, fromQuery: false };
  };

  const server = http.createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      log.error('HTTP request failed', { error: describeError(error) });
      if (!res.headersSent) plain(res, 500, 'Quorum could not serve this request; see the log.');
      else res.destroy();
    });
  });

  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.headers.host !== expectedHost()) return plain(res, 403, 'Quorum only answers on the address it printed.');
    const url = new URL(req.url ?? '/', expectedOrigin());
    const auth = requestToken(req, url);
    if (url.pathname === SESSION_PATH && !auth.fromQuery) {
      // A question, not a request for content: answered without an error status (a browser would log one).
      res.writeHead(auth.valid ? 204 : 200, { ...securityHeaders(false), 'Cache-Control': 'no-store', ...(auth.valid ? {} : { [TOKEN_REFUSED_HEADER]: 'token' }) });
      res.end();
      return;
    }
    if (!auth.valid) {
      return plain(res, 401, 'Quorum: open the URL printed when Quorum started (it carries the access token).', { [TOKEN_REFUSED_HEADER]: 'token' });
    }
    if (url.pathname === STAGING_PATH) return handleUpload(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed.', { Allow: 'GET, HEAD' });
    if (auth.fromQuery) {
      // Swap the token for a cookie and drop it from the address bar and history.
      url.searchParams.delete('token');
      res.writeHead(303, {
        ...securityHeaders(true),
        'Set-Cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname + url.search,
      });
      res.end();
      return;
    }
    const file = await resolveRendererFile(options.rendererDir, url.pathname);
    if (file === null) {
      const built = await exists(path.join(options.rendererDir, 'index.html'));
      return built
        ? plain(res, 404, 'Not found.')
        : plain(res, 503, 'The Quorum renderer is not built yet. Run `npm run build` (or `npm start`, which builds it).');
    }
    const type = contentTypeFor(file);
    res.writeHead(200, { ...securityHeaders(type.startsWith('text/html')), 'Content-Type': type });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const handleUpload = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'POST') return plain(res, 405, 'Method not allowed.', { Allow: 'POST' });
    if (options.stagingDir === undefined) return plain(res, 404, 'Not found.');
    // Same-origin pages only: the Origin must be ours and the custom header present.
    if (req.headers.origin !== expectedOrigin() || req.headers[STAGING_HEADER] !== '1') {
      return plain(res, 403, 'Uploads are accepted from the Quorum page only.');
    }
    try {
      const staged = await stageUpload(req, options.stagingDir, url.searchParams.get('name'));
      log.info('Staged an upload', { bytes: staged.bytes });
      res.writeHead(200, { ...securityHeaders(false), 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(staged));
    } catch (error) {
      log.warn('An upload did not complete', { error: describeError(error) });
      if (!res.headersSent && !res.destroyed) plain(res, 400, 'The upload did not complete. Drop the file again.');
    }
  };

  if (options.stagingDir !== undefined) {
    const removed = await cleanStaging(options.stagingDir);
    if (removed > 0) log.info('Removed old staged uploads', { removed });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_FRAME_BYTES, perMessageDeflate: false });
  let connectionCount = 0;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: 401 | 403 | 404, reason: string): void => {
      log.warn('Refused a WebSocket upgrade', { reason, origin: req.headers.origin ?? null });
      const marker = status === 401 ? `${TOKEN_REFUSED_HEADER}: token\r\n` : '';
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${marker}Connection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', expectedOrigin());
    if (url.pathname !== WS_PATH) return refuse(404, 'path');
    if (req.headers.host !== expectedHost()) return refuse(403, 'host');
    if (req.headers.origin !== expectedOrigin()) return refuse(403, 'origin');
    if (!requestToken(req, url).valid) return refuse(401, 'token');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket & { alive?: boolean }) => {
    const sender = { host: 'browser' as const, id: `ws-${++connectionCount}` };
    log.info('Renderer connected', { sender: sender.id });
    ws.alive = true;
    const send = (frame: WsServerFrame): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        log.warn('Dropping a renderer that stopped reading', { sender: sender.id });
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(frame));
    };
    const unsubscribe = options.events.subscribe((message) => send({ type: 'event', event: message.event, payload: message.payload }));
    ws.on('pong', () => {
      ws.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void handleFrame(data, isBinary, sender, send);
    });
    ws.on('close', () => {
      unsubscribe();
      options.audience?.(`${sender.host}:${sender.id}`, 'gone');
      log.info('Renderer disconnected', { sender: sender.id });
    });
    ws.on('error', (error) => log.warn('WebSocket error', { sender: sender.id, error: String(error) }));
  });

  const handleFrame = async (
    data: RawData,
    isBinary: boolean,
    sender: { host: 'browser'; id: string },
    send: (frame: WsServerFrame) => void,
  ): Promise<void> => {
    if (isBinary) return;
    let json: unknown;
    try {
      json = JSON.parse(rawToString(data));
    } catch {
      return;
    }
    const frame = wsClientFrameSchema.safeParse(json);
    if (!frame.success) {
      const id = wsRequestIdSchema.safeParse((json as { id?: unknown } | null)?.id);
      if (id.success) {
        send({
          type: 'result',
          id: id.data,
          result: fail({ code: 'invalid-input', message: 'Malformed request frame: expected {type: "invoke", id, channel, payload}.' }),
        });
      }
      return;
    }
    const result = await options.dispatcher.dispatch(frame.data.channel, frame.data.payload, sender);
    send({ type: 'result', id: frame.data.id, result });
  };

  const heartbeat = setInterval(() => {
    for (const client of wss.clients as Set<WebSocket & { alive?: boolean }>) {
      if (client.alive === false) {
        client.terminate();
        continue;
      }
      client.alive = false;
      client.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('browser host did not bind a TCP port');
  port = address.port;
  log.info('Browser host listening', { port });

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      clearInterval(heartbeat);
      for (const client of wss.clients) client.close(1001, 'Quorum is shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function plain(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...securityHeaders(false), 'Content-Type': 'text/plain; charset=utf-8', ...extra });
  res.end(message + '\n');
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
