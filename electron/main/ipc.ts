import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { fail } from '../../shared/ipc/envelope';
import { IPC_EVENT, IPC_INVOKE } from '../../shared/ipc/electron-ipc';
import type { Dispatcher } from '../services/ipc/dispatcher';
import type { EventHub } from '../services/ipc/event-hub';
import type { Logger } from '../services/log';
import { isTrustedSender } from './security';

/**
 * The only place `ipcMain` is used: one handler for every request, which
 * checks the sender before the dispatcher validates the payload, and one
 * event pump that sends to Quorum's own windows only.
 */
export function registerIpc(options: {
  readonly dispatcher: Pick<Dispatcher, 'dispatch'>;
  readonly events: Pick<EventHub, 'subscribe'>;
  readonly trustedWindows: ReadonlySet<number>;
  readonly log: Logger;
}): () => void {
  const log = options.log.child('electron-ipc');
  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, channel: unknown, payload: unknown) => {
    const frame = event.senderFrame;
    const trusted = isTrustedSender(
      { webContentsId: event.sender.id, frameUrl: frame?.url ?? null, isMainFrame: frame !== null && frame.parent === null },
      options.trustedWindows,
    );
    if (!trusted) {
      log.warn('Refused a request from an untrusted sender', { webContentsId: event.sender.id });
      return fail({ code: 'forbidden', message: 'This window is not allowed to talk to Quorum. Reload the Quorum window.' });
    }
    return options.dispatcher.dispatch(channel, payload, { host: 'electron', id: `wc-${event.sender.id}` });
  });
  const unsubscribe = options.events.subscribe((message) => {
    for (const win of BrowserWindow.getAllWindows()) {
      const contents = win.webContents;
      if (!win.isDestroyed() && options.trustedWindows.has(contents.id)) contents.send(IPC_EVENT, message);
    }
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_INVOKE);
  };
}
