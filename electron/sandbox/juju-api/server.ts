import https from 'node:https';
import type net from 'node:net';
import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { AGENT_VERSION } from '../model';
import type { MemberAuth, MemberEndpoint } from '../seed/seed-db';
import { serveConnection } from './connection';
import type { AgentAliveFn, ServerContext } from './context';
import { presenceAgentAlive } from './presence';
import { JujuState } from './state';

/**
 * A Juju 1.25 API server for one sandbox state server: WSS on
 * 127.0.0.1:<ephemeral> with the state server's certificate (agent.conf
 * `stateservercert`, signed by the environment CA, DNS names
 * `juju-apiserver`, `juju-mongodb`, `localhost`, `anything`). The machine's
 * sshd forwards `direct-tcpip` to 127.0.0.1:17070 here.
 *
 * Paths: `/environment/<uuid>/api` (the environment; another UUID gets a
 * root where every call answers `unknown environment`), and `/`, where
 * Admin v0/v1 log in to the environment and Admin v2 gets 1.25's
 * server-only root. Anything else is answered 404 without an upgrade.
 */

export interface JujuApiServerOptions {
  /** The state server it runs on (its own agent may log in during a restore). */
  readonly machineId: string;
  readonly envUuid: string;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  /** juju-db members, for State on the primary. */
  readonly members: () => readonly MemberEndpoint[];
  /** How State logs in: `machine-N` with agent.conf `statepassword`, and the environment CA. */
  readonly stateAuth: MemberAuth;
  /** `user-admin`'s password. */
  readonly adminPassword: () => Promise<string>;
  /** Agent presence; default: read from juju-db's presence collections, as Juju does. */
  readonly agentAlive?: AgentAliveFn;
  readonly serverVersion?: string;
  /** Agents' ping timeout (default 3 min, `maxClientPingInterval`). */
  readonly agentPingTimeoutMs?: number;
}

export interface JujuApiServer {
  /** Local port on 127.0.0.1. */
  readonly port: number;
  /** Open WebSocket connections (tests, describe). */
  readonly connections: number;
  /** Stops listening and drops every connection at once (power off, agent stop). */
  close(): Promise<void>;
}

const ENV_PATH = /^\/environment\/([^/]+)\/api\/?$/;

/** `/environment/<uuid>/api` → uuid, `/` → '', anything else → null. */
export function apiPathUuid(url: string | undefined): string | null {
  const path = (url ?? '/').split('?')[0] ?? '/';
  if (path === '/' || path === '') return '';
  return ENV_PATH.exec(path)?.[1] ?? null;
}

export async function startJujuApiServer(options: JujuApiServerOptions): Promise<JujuApiServer> {
  const state = new JujuState({ envUuid: options.envUuid, members: options.members, auth: options.stateAuth });
  const server: ServerContext = {
    machineId: options.machineId,
    state,
    adminPassword: options.adminPassword,
    agentAlive: options.agentAlive ?? presenceAgentAlive(state),
    serverVersion: options.serverVersion ?? AGENT_VERSION,
    lastLogins: new Map(),
  };
  const sockets = new Set<net.Socket>();
  const clients = new Set<WebSocket>();
  const https_ = https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('404 page not found\n');
  });
  https_.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  https_.on('tlsClientError', () => undefined);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  https_.on('upgrade', (req, socket, head) => {
    const uuid = apiPathUuid(req.url);
    if (uuid === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.once('close', () => clients.delete(ws));
      serveConnection(ws, { server, pathUuid: uuid, agentPingTimeoutMs: options.agentPingTimeoutMs });
    });
  });
  https_.listen({ host: '127.0.0.1', port: 0 });
  await Promise.race([
    once(https_, 'listening'),
    once(https_, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  const port = (https_.address() as net.AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    get connections() {
      return clients.size;
    },
    close: () => {
      closed ??= (async () => {
        for (const ws of clients) ws.terminate();
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => https_.close(() => resolve()));
        wss.close();
        await state.close();
      })();
      return closed;
    },
  };
}
