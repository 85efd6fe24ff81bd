import type { ChildMessage } from './protocol';

/**
 * The sandbox child's line to the console, whichever way it was started:
 * a Node child (`child_process.fork`, browser mode and tests) talks over
 * Node's IPC channel; an Electron utility process (`utilityProcess.fork`,
 * which the hardened fuses allow where running the Electron binary as Node
 * is off) talks over `process.parentPort`. `process.ts` picks one at run
 * time so one bundle, `out/main/sandbox-process.js`, serves both.
 */
export interface ParentChannel {
  readonly kind: 'node' | 'electron';
  send(message: ChildMessage): void;
  /** Every message from the parent, unvalidated (the caller checks its shape). */
  onMessage(handler: (message: unknown) => void): void;
  /**
   * The parent went away. Node: the IPC channel closed. Electron never
   * reports it: the utility process is ended with the app.
   */
  onParentGone(handler: () => void): void;
  /** Lets go of the channel once the last message is sent (Node: disconnects). */
  close(): void;
}

/** What the channel needs of Electron's `process.parentPort` (structural: no Electron import here). */
export interface ParentPortLike {
  on(event: 'message', listener: (event: { readonly data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

/** What the channel needs of a Node child's `process` with an IPC channel. */
export interface NodeIpcProcessLike {
  readonly connected?: boolean;
  send?: (message: unknown) => boolean;
  disconnect?: () => void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

export function electronParentChannel(port: ParentPortLike): ParentChannel {
  return {
    kind: 'electron',
    send: (message) => port.postMessage(message),
    onMessage: (handler) => void port.on('message', (event) => handler(event.data)),
    onParentGone: () => undefined,
    close: () => undefined,
  };
}

export function nodeParentChannel(proc: NodeIpcProcessLike): ParentChannel {
  return {
    kind: 'node',
    send: (message) => {
      if (proc.connected) proc.send?.(message);
    },
    onMessage: (handler) => void proc.on('message', handler),
    onParentGone: (handler) => void proc.on('disconnect', handler),
    close: () => {
      if (proc.connected) proc.disconnect?.();
    },
  };
}

/**
 * The channel this process was started with: Electron's parent port when
 * present (a utility process has no `process.send`), else Node's IPC
 * channel, else null (started by hand, not as a child).
 */
export function detectParentChannel(proc: NodeIpcProcessLike & { readonly parentPort?: ParentPortLike }): ParentChannel | null {
  if (proc.parentPort) return electronParentChannel(proc.parentPort);
  if (typeof proc.send === 'function') return nodeParentChannel(proc);
  return null;
}
