import { API_GLOBAL, type QuorumApi } from '../../../shared/ipc/contract';
import { WS_PATH } from '../../../shared/ipc/ws-protocol';
import { createWsBridge, type QuorumBridge } from './ws-bridge';

/**
 * Connects the renderer to whichever host it runs in: the Electron preload's
 * frozen `window.quorum`, else browser mode's WebSocket on the same origin
 * (the HttpOnly cookie set on the first page load authenticates it). The
 * rest of the renderer only ever sees a `QuorumBridge`.
 */
export async function connectBridge(win: Window = window): Promise<QuorumBridge> {
  const preload = (win as unknown as Record<string, unknown>)[API_GLOBAL] as QuorumApi | undefined;
  if (preload !== undefined && typeof preload.invoke === 'function' && typeof preload.on === 'function') {
    return fromPreload(preload);
  }
  const scheme = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${win.location.host}${WS_PATH}`;
  return createWsBridge({ createSocket: () => new WebSocket(url) });
}

/** Electron's IPC has no transport to lose: the status is always `connected`. */
function fromPreload(api: QuorumApi): QuorumBridge {
  return {
    invoke: (channel, request) => api.invoke(channel, request),
    on: (event, listener) => api.on(event, listener),
    status: () => 'connected',
    onStatus: () => () => {},
    close: () => {},
  };
}
