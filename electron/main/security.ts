import { confinedPath } from '../host/static-files';

/**
 * Pure security rules of the Electron host, kept free of Electron imports so
 * they are unit-tested here (the Electron binary cannot run in CI).
 */

/** The renderer is served from `app://quorum/…`, never `file://`. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'quorum';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Sites the console may open in the operator's browser (documentation only). */
export const EXTERNAL_ALLOWLIST: readonly string[] = ['juju.is', 'jujucharms.com', 'www.mongodb.com', 'github.com'];

export interface SenderFacts {
  /** `event.sender.id`. */
  readonly webContentsId: number;
  /** `event.senderFrame?.url`; null when the frame is gone. */
  readonly frameUrl: string | null;
  /** True when the frame is the top-level frame of its page. */
  readonly isMainFrame: boolean;
}

/**
 * A request is trusted only from the top frame of a window Quorum created,
 * showing a page on Quorum's own scheme. Anything else (a destroyed frame,
 * an iframe, a page that navigated elsewhere, some other webContents) is
 * refused with `forbidden` before the dispatcher sees it.
 */
export function isTrustedSender(facts: SenderFacts, trustedWebContents: ReadonlySet<number>): boolean {
  if (!trustedWebContents.has(facts.webContentsId)) return false;
  if (!facts.isMainFrame || facts.frameUrl === null) return false;
  return isAppUrl(facts.frameUrl);
}

/** True for `app://quorum/...` (exact scheme and host, no credentials or port). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

/** In-window navigation is allowed only within Quorum's own origin. */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/** `shell.openExternal` only for https links to the allowlisted documentation sites. */
export function isAllowedExternalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.port === '' &&
    EXTERNAL_ALLOWLIST.includes(parsed.hostname)
  );
}

/**
 * The file an `app://quorum/…` URL maps to inside the built renderer, or
 * null (wrong host, path escaping the folder). Existence and symlinks are
 * checked when the file is read.
 */
export function appUrlToPath(rendererDir: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  return confinedPath(rendererDir, parsed.pathname);
}
