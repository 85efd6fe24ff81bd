import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createCertificateAuthority, issueServerCertificate, type CaSignature } from '../../../sandbox/pki';

/**
 * A stand-in for a Juju 1.25 API server in unit tests: TLS with a certificate
 * issued by a test CA (for `juju-apiserver` unless told otherwise), a
 * WebSocket on `/environment/<uuid>/api`, and the 1.x JSON-RPC framing. Each
 * request goes to `handle`, which answers with a response, an error, or
 * nothing (to test timeouts). Every received message is recorded.
 */

export interface FakeRequest {
  readonly RequestId: number;
  readonly Type: string;
  readonly Version?: number;
  readonly Request: string;
  readonly Params?: unknown;
  readonly [key: string]: unknown;
}

export type FakeAnswer = { readonly response: unknown } | { readonly error: string; readonly code?: string } | 'silent' | 'close';

export interface FakeApiServerOptions {
  readonly envUuid: string;
  readonly handle: (request: FakeRequest, connection: number) => FakeAnswer | Promise<FakeAnswer>;
  readonly dnsNames?: readonly string[];
  readonly signature?: CaSignature;
}

export interface FakeApiServer {
  readonly caPem: string;
  readonly port: number;
  readonly received: FakeRequest[];
  /** Raw frames, to check the exact bytes on the wire. */
  readonly frames: string[];
  readonly origins: (string | undefined)[];
  readonly paths: (string | undefined)[];
  /** A plain TCP stream to the server (what an SSH `forwardOut` hands over). */
  channel(): Promise<Duplex>;
  close(): Promise<void>;
}

export async function startFakeApiServer(options: FakeApiServerOptions): Promise<FakeApiServer> {
  const ca = createCertificateAuthority('fake', 1, options.signature ?? 'sha256');
  const cert = issueServerCertificate(ca, { dns: options.dnsNames ?? ['localhost', 'juju-apiserver', 'juju-mongodb', 'anything'], ips: ['127.0.0.1'] });
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem, ...(options.signature === 'sha1' ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}) });
  const wss = new WebSocketServer({ noServer: true });
  const received: FakeRequest[] = [];
  const frames: string[] = [];
  const origins: (string | undefined)[] = [];
  const paths: (string | undefined)[] = [];
  const sockets = new Set<WebSocket>();
  let connections = 0;
  server.on('upgrade', (req, socket, head) => {
    origins.push(req.headers.origin);
    paths.push(req.url);
    if (req.url !== `/environment/${options.envUuid}/api` && req.url !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = ++connections;
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => {
        const text = data.toString();
        frames.push(text);
        const request = JSON.parse(text) as FakeRequest;
        received.push(request);
        void Promise.resolve(options.handle(request, connection)).then((answer) => {
          if (answer === 'silent') return;
          if (answer === 'close') return ws.terminate();
          const reply = 'response' in answer ? { RequestId: request.RequestId, Response: answer.response } : { RequestId: request.RequestId, Error: answer.error, ...(answer.code ? { ErrorCode: answer.code } : {}), Response: {} };
          ws.send(JSON.stringify(reply));
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    caPem: ca.certPem,
    port,
    received,
    frames,
    origins,
    paths,
    channel: () =>
      new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      }),
    close: async () => {
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A 1.25 login result (`LoginResultV1`) listing the facades Quorum uses. */
export function loginResultV1(envUuid: string, facades: readonly { Name: string; Versions: number[] }[] = DEFAULT_FACADES): unknown {
  return {
    servers: [[{ Value: '10.0.0.10', Type: 'ipv4', NetworkName: '', Scope: 'local-cloud', Port: 17070 }]],
    'environ-tag': `environment-${envUuid}`,
    'server-tag': `environment-${envUuid}`,
    'user-info': { 'display-name': '', identity: 'user-admin' },
    facades,
    'server-version': '1.25.6',
  };
}

export const DEFAULT_FACADES = [
  { Name: 'Admin', Versions: [0, 1, 2] },
  { Name: 'Client', Versions: [0] },
  { Name: 'HighAvailability', Versions: [1] },
  { Name: 'Pinger', Versions: [0] },
];
