import { API_GLOBAL, type QuorumApi } from '../../../shared/ipc/contract';
import { WS_PATH } from '../../../shared/ipc/ws-protocol';
import { probeSession } from './session-probe';
import { createWsBridge, type QuorumBridge } from './ws-bridge';

/** A file dropped on the window, as main can read it. */
export interface StagedFile {
  /** Path on the machine running Quorum's main process (what `backups.upload` and restore take). */
  readonly localPath: string;
}

/**
 * The bridge the app uses: the contract, the transport status, and
 * `stageFile` for dropped files. In Electron a dropped file is read in
 * place (its disk path comes from the preload); in browser mode the file is
 * streamed to the host, which stages it under QUORUM_HOME and answers with
 * the path. Either way the renderer gets a `localPath` and never knows which.
 */
export interface AppBridge extends QuorumBridge {
  stageFile(file: File, onProgress?: (sentBytes: number, totalBytes: number) => void): Promise<StagedFile>;
}

/** Mirrors the browser host's staging endpoint (electron/host/file-staging.ts). */
const STAGING_PATH = '/files';
const STAGING_HEADER = 'X-Quorum-Upload';

type PreloadApi = QuorumApi & { readonly pathForFile?: (file: File) => string };

/**
 * Connects the renderer to whichever host it runs in: the Electron preload's
 * frozen `window.quorum`, else browser mode's WebSocket on the same origin
 * (the HttpOnly cookie set on the first page load authenticates it). The
 * rest of the renderer only ever sees an `AppBridge`.
 */
export async function connectBridge(win: Window = window): Promise<AppBridge> {
  const preload = (win as unknown as Record<string, unknown>)[API_GLOBAL] as PreloadApi | undefined;
  if (preload !== undefined && typeof preload.invoke === 'function' && typeof preload.on === 'function') {
    return fromPreload(preload);
  }
  const scheme = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${win.location.host}${WS_PATH}`;
  const bridge = createWsBridge({ createSocket: () => new WebSocket(url), probe: () => probeSession((p, init) => fetch(p, init)) });
  return { ...bridge, stageFile: (file, onProgress) => uploadToHost(file, onProgress) };
}

/** Electron's IPC has no transport to lose: the status is always `connected`. */
function fromPreload(api: PreloadApi): AppBridge {
  return {
    invoke: (channel, request) => api.invoke(channel, request),
    on: (event, listener) => api.on(event, listener),
    status: () => 'connected',
    onStatus: () => () => {},
    reconnectNow: () => {},
    close: () => {},
    stageFile: async (file) => {
      const localPath = api.pathForFile?.(file) ?? '';
      if (localPath === '') throw new Error('That item is not a file on this computer. Drop an archive file from a folder.');
      return { localPath };
    },
  };
}

function uploadToHost(file: File, onProgress?: (sent: number, total: number) => void): Promise<StagedFile> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${STAGING_PATH}?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader(STAGING_HEADER, '1');
    xhr.responseType = 'json';
    if (onProgress !== undefined) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      const body = xhr.response as { localPath?: unknown } | null;
      if (xhr.status === 200 && body !== null && typeof body.localPath === 'string') resolve({ localPath: body.localPath });
      else reject(new Error(`Quorum could not receive ${file.name} (HTTP ${xhr.status}). Drop it again.`));
    };
    xhr.onerror = () => reject(new Error(`The upload of ${file.name} was interrupted. Check that Quorum is still running, then drop it again.`));
    xhr.send(file);
  });
}
