import type { Result } from '../../../shared/ipc/envelope';
import { isRequestChannel, type EventChannel, type EventOf, type QuorumApi, type RequestChannel, type RequestOf, type ResponseOf } from '../../../shared/ipc/contract';
import { wsServerFrameSchema, type WsClientFrame } from '../../../shared/ipc/ws-protocol';

/**
 * Where the bridge stands; the shell shows a banner while `lost` (a drop:
 * it reconnects) or `restarted` (the host refused this page's token: a new
 * launch of Quorum runs with a new address, and the bridge stops trying).
 */
export type BridgeStatus = 'connecting' | 'connected' | 'lost' | 'restarted';

/**
 * The API the renderer gets, whichever host carries it: the contract's
 * `invoke`/`on`, plus the transport status (always `connected` in Electron).
 */
export interface QuorumBridge extends QuorumApi {
  status(): BridgeStatus;
  /** Called on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: BridgeStatus) => void): () => void;
  /** Tries to reconnect now rather than at the end of the backoff (the banner's Reconnect now); no-op unless lost. */
  reconnectNow(): void;
  /** Closes the transport for good (tests, teardown). */
  close(): void;
}

/** The part of the WebSocket API the bridge uses: the browser's and `ws`'s both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export interface WsBridgeOptions {
  /** Opens a socket to the host (the browser's `new WebSocket(url)` in production). */
  readonly createSocket: () => WebSocketLike;
  /** Reconnect delays: first, then doubled up to max (ms). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How long an invoke made before the first connection waits for it (ms). */
  readonly connectTimeoutMs?: number;
  /**
   * Asked after every drop or failed connection: `refused` when the host
   * answered but refused this page's token (it was restarted), `other` when
   * it did not answer or let the page in. Without it the bridge always retries.
   */
  readonly probe?: () => Promise<'refused' | 'other'>;
}

/** Why an invoke failed at the transport level (the renderer's `call` turns this into an error result). */
export const DISCONNECTED_MESSAGE = "Lost the connection to Quorum's main process before it answered. Quorum is reconnecting; try again in a moment.";

/** Said once the host refused this page's token: reconnecting cannot help, only the new address can. */
export const RESTARTED_MESSAGE = 'Quorum was restarted: open the new address printed in its terminal.';

const OPEN = 1;

interface Pending {
  readonly resolve: (result: Result<unknown>) => void;
  readonly reject: (error: Error) => void;
}

/**
 * `QuorumApi` over browser mode's WebSocket: numbered requests matched to
 * result frames, events fanned out to local listeners, reconnection with
 * exponential backoff. Requests in flight when the socket drops reject at
 * once with a clear error rather than hanging; listeners stay registered
 * across reconnects (the host pushes every event to every connection).
 */
export function createWsBridge(options: WsBridgeOptions): QuorumBridge {
  const initialDelay = options.initialDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 5_000;
  const connectTimeout = options.connectTimeoutMs ?? 15_000;
  const pending = new Map<number, Pending>();
  const waitingForOpen = new Set<() => void>();
  const listeners = new Map<EventChannel, Set<(payload: never) => void>>();
  const statusListeners = new Set<(status: BridgeStatus) => void>();
  let status: BridgeStatus = 'connecting';
  let socket: WebSocketLike | null = null;
  let nextId = 1;
  let delay = initialDelay;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const setStatus = (next: BridgeStatus): void => {
    if (next === status) return;
    status = next;
    for (const listener of [...statusListeners]) listener(next);
  };

  const failPending = (message = DISCONNECTED_MESSAGE): void => {
    for (const p of pending.values()) p.reject(new Error(message));
    pending.clear();
  };

  const retryLater = (): void => {
    retryTimer = setTimeout(() => {
      retryTimer = null;
      open();
    }, delay + Math.floor(Math.random() * (delay / 4)));
    delay = Math.min(delay * 2, maxDelay);
  };

  /** The host refused this page: stop for good, and say why to everyone waiting. */
  const stopRestarted = (): void => {
    setStatus('restarted');
    failPending(RESTARTED_MESSAGE);
    for (const wake of [...waitingForOpen]) wake();
    waitingForOpen.clear();
  };

  const open = (): void => {
    if (closed) return;
    const ws = options.createSocket();
    socket = ws;
    ws.addEventListener('open', () => {
      if (socket !== ws) return;
      delay = initialDelay;
      setStatus('connected');
      for (const wake of [...waitingForOpen]) wake();
      waitingForOpen.clear();
    });
    ws.addEventListener('message', (event) => {
      if (socket !== ws || typeof event.data !== 'string') return;
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch {
        return;
      }
      const frame = wsServerFrameSchema.safeParse(json);
      if (!frame.success) return;
      if (frame.data.type === 'result') {
        const p = pending.get(frame.data.id);
        pending.delete(frame.data.id);
        p?.resolve(frame.data.result as Result<unknown>);
      } else {
        const set = listeners.get(frame.data.event as EventChannel);
        for (const listener of set ? [...set] : []) {
          try {
            listener(frame.data.payload as never);
          } catch (error) {
            console.error(`A listener for ${frame.data.event} failed`, error);
          }
        }
      }
    });
    ws.addEventListener('error', () => {
      // 'close' follows; reconnection happens there.
    });
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      failPending();
      if (closed) return;
      if (status === 'connected') setStatus('lost');
      if (options.probe === undefined) return retryLater();
      options.probe().then(
        (answer) => {
          if (closed) return;
          if (answer === 'refused') stopRestarted();
          else retryLater();
        },
        () => {
          if (!closed) retryLater();
        },
      );
    });
  };

  const whenOpen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (socket !== null && socket.readyState === OPEN) return resolve();
      if (status === 'restarted') return reject(new Error(RESTARTED_MESSAGE));
      if (status === 'lost' || closed) return reject(new Error(DISCONNECTED_MESSAGE));
      const timer = setTimeout(() => {
        waitingForOpen.delete(wake);
        reject(new Error("Could not reach Quorum's main process. Check that Quorum is still running, then reload."));
      }, connectTimeout);
      const wake = () => {
        clearTimeout(timer);
        if (status === 'restarted') reject(new Error(RESTARTED_MESSAGE));
        else resolve();
      };
      waitingForOpen.add(wake);
    });

  open();

  return {
    async invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>> {
      if (!isRequestChannel(channel)) {
        return { ok: false, error: { code: 'invalid-input', message: `Unknown channel ${String(channel)}.` } };
      }
      await whenOpen();
      const id = nextId++;
      const frame: WsClientFrame = { type: 'invoke', id, channel, payload: request };
      return new Promise<Result<ResponseOf<C>>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (r: Result<unknown>) => void, reject });
        try {
          socket!.send(JSON.stringify(frame));
        } catch {
          pending.delete(id);
          reject(new Error(DISCONNECTED_MESSAGE));
        }
      });
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      const entry = listener as (payload: never) => void;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    status: () => status,
    reconnectNow() {
      if (closed || status === 'restarted' || socket !== null || retryTimer === null) return;
      clearTimeout(retryTimer);
      retryTimer = null;
      delay = initialDelay;
      open();
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => {
        statusListeners.delete(listener);
      };
    },
    close() {
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      failPending();
      socket?.close(1000, 'closed by the renderer');
      socket = null;
    },
  };
}
