import path from 'node:path';
import { BrowserWindow, shell } from 'electron';
import type { Logger } from '../services/log';
import { APP_ENTRY_URL, isAllowedExternalUrl, isAllowedNavigation } from './security';

/**
 * The one window: context isolation, sandbox, no Node in the renderer, web
 * security on, no webviews. Navigation away from `app://quorum` and new
 * windows are denied; allowlisted https links open in the operator's browser.
 */
export function createMainWindow(options: { readonly preload: string; readonly log: Logger }): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Quorum',
    // The app icon, copied beside the main bundle by electron.vite.config.ts (inside the asar when packaged);
    // macOS takes the bundle's icon.icns instead.
    ...(process.platform === 'darwin' ? {} : { icon: path.join(import.meta.dirname, 'icon.png') }),
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  const contents = win.webContents;
  const refuse = (what: string) => (event: { preventDefault(): void }, url: string) => {
    if (isAllowedNavigation(url)) return;
    event.preventDefault();
    options.log.warn(`Blocked ${what}`, { url: safeUrl(url) });
  };
  contents.on('will-navigate', refuse('navigation'));
  contents.on('will-redirect', refuse('redirect'));
  contents.on('will-frame-navigate', (event) => {
    if (!isAllowedNavigation(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    else options.log.warn('Blocked a new window', { url: safeUrl(url) });
    return { action: 'deny' };
  });
  contents.on('render-process-gone', (_event, details) => {
    options.log.error('The window\'s renderer process ended', { reason: details.reason, exitCode: details.exitCode });
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY_URL);
  return win;
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable)';
  }
}
