import { once } from 'node:events';
import tls from 'node:tls';
import WebSocket from 'ws';
import { connectSsh, type TestSsh } from '../testing/ssh-client';

/**
 * What Quorum (and the 1.25 CLI) does to reach a state server's API, for
 * the tests: SSH to the machine, `direct-tcpip` to 127.0.0.1:17070, TLS
 * verified against the environment CA with servername `juju-apiserver`,
 * a WebSocket with `Origin: http://localhost/`, JSON-RPC frames. Returns
 * the raw answers so tests check the exact wire shapes.
 */

export interface RawAnswer {
  readonly RequestId: number;
  readonly Response?: unknown;
  readonly Error?: string;
  readonly ErrorCode?: string;
}

export interface ApiTestClient {
  readonly ws: WebSocket;
  /** Sends one request (Version omitted when 0, as the Go client does) and waits for its answer. */
  call(type: string, version: number, request: string, params?: unknown): Promise<RawAnswer>;
  /** Sends a raw text frame (codec tests); the answer to `expectId`, if given. */
  sendRaw(text: string, expectId?: number): Promise<RawAnswer | undefined>;
  close(): Promise<void>;
}

export async function connectApi(options: { sshPort: number; privateKey: string; caPem: string; path: string; servername?: string }): Promise<ApiTestClient> {
  const ssh: TestSsh = await connectSsh(options.sshPort, options.privateKey);
  const tunnel = await ssh.tunnel('127.0.0.1', 17070);
  // TLS inside the tunnel, verified against the environment CA only, for the name juju-apiserver.
  const createConnection = () => tls.connect({ host: '127.0.0.1', port: tunnel.port, ca: options.caPem, servername: options.servername ?? 'juju-apiserver' });
  const ws = new WebSocket(`wss://juju-apiserver${options.path}`, { createConnection, origin: 'http://localhost/', perMessageDeflate: false });
  const cleanup = async () => {
    ws.terminate();
    await tunnel.close();
    ssh.end();
  };
  try {
    await Promise.race([
      once(ws, 'open'),
      once(ws, 'error').then(([err]) => {
        throw err;
      }),
    ]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const waiting = new Map<number, (a: RawAnswer) => void>();
  ws.on('message', (data) => {
    const answer = JSON.parse(String(data)) as RawAnswer;
    waiting.get(answer.RequestId)?.(answer);
    waiting.delete(answer.RequestId);
  });
  ws.on('error', () => undefined);
  let nextId = 1;
  const wait = (id: number) =>
    new Promise<RawAnswer>((resolve, reject) => {
      waiting.set(id, resolve);
      ws.once('close', () => reject(new Error('connection closed')));
    });
  return {
    ws,
    call: (type, version, request, params) => {
      const id = nextId++;
      const answer = wait(id);
      ws.send(JSON.stringify({ RequestId: id, Type: type, ...(version !== 0 ? { Version: version } : {}), Request: request, ...(params !== undefined ? { Params: params } : {}) }));
      return answer;
    },
    sendRaw: (text, expectId) => {
      const answer = expectId === undefined ? Promise.resolve(undefined) : wait(expectId);
      ws.send(text);
      return answer;
    },
    close: cleanup,
  };
}
