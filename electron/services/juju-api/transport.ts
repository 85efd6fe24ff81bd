import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { QuorumError, isQuorumError } from '../../../shared/errors';
import { isWeaklySignedCa } from '../mongo/tls-options';

/**
 * The Juju API's transport as the 1.25 client dials it (PROTOCOL.md §1):
 * TLS with the environment CA as the only root and server name
 * `juju-apiserver`, then a WebSocket to `/environment/<uuid>/api` with
 * `Origin: http://localhost/`. Here both run inside one SSH `direct-tcpip`
 * channel to the state server's port 17070, so the channel's 127.0.0.1 says
 * nothing about identity: the certificate is checked against
 * `juju-apiserver`, which every 1.25 API certificate carries. Each stage
 * fails with its own sentence: port closed, no answer, TLS refused, or the
 * WebSocket upgrade refused.
 */

export const API_PORT = 17070;
export const API_SERVER_NAME = 'juju-apiserver';
export const API_ORIGIN = 'http://localhost/';

/** `makeAPIPath`: `/environment/<uuid>/api`, or `/` without a UUID (restricted login for v2). */
export function apiPath(envUuid: string | null): string {
  return envUuid === null || envUuid === '' ? '/' : `/environment/${envUuid}/api`;
}

export function checkApiServerIdentity(_host: string, cert: PeerCertificate): Error | undefined {
  return tls.checkServerIdentity(API_SERVER_NAME, cert);
}

export interface OpenApiSocketOptions {
  /** Opens the byte stream to the API port (an SSH `forwardOut` to 127.0.0.1:17070). */
  readonly channel: () => Promise<Duplex>;
  readonly caPem: string;
  readonly envUuid: string | null;
  /** The state server's address, for sentences. */
  readonly address: string;
  /** For each stage (channel, TLS, upgrade); default 10 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export async function openApiSocket(options: OpenApiSocketOptions): Promise<WebSocket> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const where = `the Juju API on ${options.address} (port ${API_PORT})`;
  const unreachable = (stage: string, sentence: string, cause?: unknown) =>
    new QuorumError('juju-api-unreachable', sentence, { details: { address: options.address, port: API_PORT, stage }, ...(cause === undefined ? {} : { cause }) });

  let channel: Duplex;
  try {
    channel = await withTimeout(options.channel(), timeoutMs, options.signal, () =>
      unreachable('no-answer', `${where} did not answer within ${secs(timeoutMs)}: the port may be filtered or the machine overloaded. Check jujud on the state server.`),
    );
  } catch (error) {
    if (isQuorumError(error)) throw error;
    const text = error instanceof Error ? error.message : String(error);
    if (/refused|open failure|ECONNREFUSED/i.test(text)) {
      throw unreachable('port-closed', `Port ${API_PORT} on ${options.address} is closed: Juju's API server is not running there. Check the machine agent (jujud-machine-N) on that state server.`, error);
    }
    throw unreachable('channel', `Quorum could not open a channel to ${where}: ${text}.`, error);
  }

  const socket = tls.connect({
    socket: channel,
    ca: options.caPem,
    servername: API_SERVER_NAME,
    checkServerIdentity: checkApiServerIdentity,
    ...(isWeaklySignedCa(options.caPem) ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  });
  try {
    await withTimeout(handshake(socket), timeoutMs, options.signal, () =>
      unreachable('no-answer', `${where} accepted the connection but did not answer TLS within ${secs(timeoutMs)}: it is not responding. Check jujud on the state server.`),
    );
  } catch (error) {
    socket.destroy();
    channel.destroy();
    if (isQuorumError(error)) throw error;
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ECONNRESET' || /socket hang up|disconnected|closed/i.test(e.message)) {
      throw unreachable('no-answer', `${where} closed the connection before TLS finished: the API server is not answering. Check jujud on the state server.`, error);
    }
    throw unreachable(
      'tls',
      `TLS to ${where} failed: ${e.message}${e.code ? ` (${e.code})` : ''}. The server's certificate must be issued for "juju-apiserver" by the environment's CA (the .jenv "ca-cert").`,
      error,
    );
  }

  const ws = new WebSocket(`wss://${API_SERVER_NAME}:${API_PORT}${apiPath(options.envUuid)}`, {
    createConnection: () => socket,
    origin: API_ORIGIN,
    perMessageDeflate: false,
    handshakeTimeout: timeoutMs,
  });
  try {
    await withTimeout(opened(ws), timeoutMs + 1000, options.signal, () =>
      unreachable('no-answer', `${where} did not complete the WebSocket upgrade within ${secs(timeoutMs)}. Check jujud on the state server.`),
    );
  } catch (error) {
    ws.terminate();
    socket.destroy();
    if (isQuorumError(error)) throw error;
    const text = error instanceof Error ? error.message : String(error);
    throw unreachable('upgrade', `${where} refused the WebSocket connection to ${apiPath(options.envUuid)}: ${text}. Check the environment UUID in the .jenv ("environ-uuid").`, error);
  }
  return ws;
}

function handshake(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.off('close', onClose);
      resolve();
    });
    const onClose = () => reject(new Error('socket hang up'));
    socket.once('error', reject);
    socket.once('close', onClose);
  });
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.off('error', reject);
      resolve();
    });
    ws.once('error', reject);
    ws.once('close', () => reject(new Error('closed during the upgrade')));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(() => reject(onTimeout())), ms);
    const onAbort = () => done(() => reject(new QuorumError('cancelled', 'Connecting to the Juju API was cancelled.')));
    let finished = false;
    const done = (fn: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => done(() => resolve(v)),
      (e: unknown) => done(() => reject(e)),
    );
  });
}

function secs(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
