import type { WebSocket } from 'ws';
import { decodeFrame, encodeError, encodeResponse, type RpcRequest } from './codec';
import type { ConnectionContext, ServerContext } from './context';
import { ApiError, CODES, goQuote } from './errors';
import { FACADES } from './facades';
import { findMethod } from './root';

/**
 * One API connection: requests are served concurrently and answered by
 * `RequestId` (Juju's rpc package does the same, so answers may come out of
 * order); a frame that is not valid JSON ends the connection, as the Go
 * codec's read error does; frames that are not requests are ignored.
 */

/** `maxClientPingInterval`: agents that do not ping for this long are disconnected. */
export const AGENT_PING_TIMEOUT_MS = 3 * 60_000;

export interface ConnectionOptions {
  readonly server: ServerContext;
  /** The UUID in the path, '' for `/`. */
  readonly pathUuid: string;
  readonly agentPingTimeoutMs?: number;
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(err instanceof Error ? err.message : String(err));
}

export function serveConnection(socket: WebSocket, options: ConnectionOptions): void {
  let pingTimer: NodeJS.Timeout | undefined;
  const ctx: ConnectionContext = {
    server: options.server,
    pathUuid: options.pathUuid,
    principal: null,
    mode: 'anonymous',
    pinged: () => {
      if (ctx.principal === null || ctx.principal.kind === 'user') return;
      clearTimeout(pingTimer);
      pingTimer = setTimeout(() => socket.terminate(), options.agentPingTimeoutMs ?? AGENT_PING_TIMEOUT_MS);
      pingTimer.unref();
    },
  };
  // validateEnvironUUID: a path naming another environment gets a root where every call fails.
  const unknownEnv = options.pathUuid !== '' && options.pathUuid !== options.server.state.envUuid;

  const send = (text: string) => {
    if (socket.readyState === socket.OPEN) socket.send(text);
  };

  const serve = async (req: RpcRequest) => {
    try {
      if (unknownEnv) throw new ApiError(`unknown environment: ${goQuote(options.pathUuid)}`, CODES.notFound);
      const call = findMethod(FACADES, ctx.mode, req.type, req.version, req.request);
      send(encodeResponse(req.requestId, await call(ctx, req.params)));
    } catch (err) {
      send(encodeError(req.requestId, asApiError(err)));
    }
  };

  socket.on('message', (data) => {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const frame = decodeFrame(text);
    if (frame.kind === 'invalid') {
      socket.close();
      return;
    }
    if (frame.kind === 'request') void serve(frame.request);
  });
  socket.on('close', () => clearTimeout(pingTimer));
  socket.on('error', () => undefined);
}
