import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { API_GLOBAL, isEventChannel, isRequestChannel, type QuorumApi } from '../../shared/ipc/contract';
import { IPC_EVENT, IPC_INVOKE } from '../../shared/ipc/electron-ipc';

/**
 * The sandboxed preload: exposes one frozen object, `window.quorum`, with
 * exactly `invoke`, `on` and `pathForFile` (the disk path of a dropped file,
 * so restore and upload read it in place). Channel names are checked against the contract
 * here (unknown ones never reach main), and `ipcRenderer` itself is never
 * exposed. Payloads are validated again in main, which trusts nothing.
 */
type Listener = (payload: unknown) => void;
const listeners = new Map<string, Set<Listener>>();

ipcRenderer.on(IPC_EVENT, (_event: IpcRendererEvent, message: unknown) => {
  if (typeof message !== 'object' || message === null) return;
  const { event, payload } = message as { event?: unknown; payload?: unknown };
  if (!isEventChannel(event)) return;
  for (const listener of [...(listeners.get(event) ?? [])]) {
    try {
      listener(payload);
    } catch (error) {
      console.error(`A listener for ${event} failed`, error);
    }
  }
});

const api = Object.freeze({
  invoke: (channel: unknown, request: unknown) => {
    if (!isRequestChannel(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'invalid-input', message: 'That channel is not part of Quorum\u2019s IPC contract.' },
      });
    }
    return ipcRenderer.invoke(IPC_INVOKE, channel, request);
  },
  on: (event: unknown, listener: unknown) => {
    if (!isEventChannel(event)) throw new TypeError('That event is not part of Quorum\u2019s IPC contract.');
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
    let set = listeners.get(event);
    if (set === undefined) listeners.set(event, (set = new Set()));
    const entry = listener as Listener;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  },
  pathForFile: (file: unknown): string => {
    if (typeof File === 'undefined' || !(file instanceof File)) throw new TypeError('Expected a dropped File.');
    return webUtils.getPathForFile(file);
  },
}) as QuorumApi & { readonly pathForFile: (file: File) => string };

contextBridge.exposeInMainWorld(API_GLOBAL, api);
