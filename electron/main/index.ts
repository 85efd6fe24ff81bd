import path from 'node:path';
import { app, BrowserWindow, Notification, session } from 'electron';
import { createAppServices, type AppServices } from '../services/app-services';
import { resolveQuorumHome } from '../services/paths';
import { registerIpc } from './ipc';
import { cliArgv } from './cli-argv';
import { registerAppScheme, serveRenderer } from './protocol';
import { utilityProcessStarter } from './sandbox-starter';
import { createMainWindow } from './window';

/**
 * Electron's main process: lifecycle glue only. All real work lives in the
 * services (`createAppServices`), which run unchanged in browser mode.
 */
const here = import.meta.dirname;
const home = resolveQuorumHome(process.env);
// `quorum backups list` (the packaged executable, e.g. /usr/bin/quorum) runs the command line: no window, its exit code.
const cliArgs = cliArgv(process.argv, app.isPackaged);
// Chromium's own profile goes under QUORUM_HOME too, so one folder holds all state.
app.setPath('userData', path.join(home, 'electron'));
app.enableSandbox();
registerAppScheme();

if (cliArgs !== null) {
  // The runAsNode fuse is off: the command runs in this main process, and the sandbox (if it must start) in a utility process.
  app.dock?.hide();
  void app.whenReady().then(async () => {
    const { main } = await import('../cli/main');
    app.exit(await main(cliArgs, { sandboxStarter: utilityProcessStarter(here) }));
  });
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let services: AppServices | null = null;
  const trustedWindows = new Set<number>();
  let stopIpc: (() => void) | null = null;

  const openWindow = (): BrowserWindow => {
    const win = createMainWindow({ preload: path.join(here, '../preload/index.cjs'), log: services!.log });
    const id = win.webContents.id;
    trustedWindows.add(id);
    win.on('closed', () => trustedWindows.delete(id));
    // Topology polling backs off while the window cannot be seen, and resumes at once when it can.
    const watcher = `electron:wc-${id}`;
    const hidden = () => services?.topology.audience(watcher, 'hidden');
    const shown = () => services?.topology.audience(watcher, 'visible');
    win.on('minimize', hidden);
    win.on('hide', hidden);
    win.on('restore', shown);
    win.on('show', shown);
    win.on('closed', () => services?.topology.audience(watcher, 'gone'));
    return win;
  };

  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win === undefined) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  void app.whenReady().then(() => {
    // The hardened fuses turn off runAsNode, so the sandbox runs in a utility process rather than a Node child.
    services = createAppServices({ home, host: 'electron', env: process.env, sandboxStarter: utilityProcessStarter(here), notify: showNotification });
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    ses.setPermissionCheckHandler(() => false);
    serveRenderer(path.join(here, '../renderer'));
    stopIpc = registerIpc({ dispatcher: services.dispatcher, events: services.events, trustedWindows, log: services.log });
    openWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped || services === null) return;
    event.preventDefault();
    stopIpc?.();
    void services.close().finally(() => {
      stopped = true;
      app.quit();
    });
  });
}

/** A desktop notification (scheduled backups' failures); silently nothing where the OS offers none. */
function showNotification(title: string, body: string): void {
  if (Notification.isSupported()) new Notification({ title, body }).show();
}
