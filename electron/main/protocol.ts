import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentTypeFor, securityHeaders } from '../host/security-headers';
import { resolveRendererFile } from '../host/static-files';
import { APP_HOST, APP_SCHEME } from './security';

/**
 * Must run before `app` is ready: makes `app://` a standard, secure origin
 * (so the renderer gets a real origin, CSP `'self'` and fetch), without
 * bypassing CSP or enabling CORS.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/** Serves `app://quorum/…` from the built renderer only, with the CSP header. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST || request.method !== 'GET') return new Response('Not found', { status: 404 });
    const file = await resolveRendererFile(rendererDir, url.pathname);
    if (file === null) return new Response('Not found', { status: 404 });
    const type = contentTypeFor(file);
    return new Response(await readFile(file), {
      status: 200,
      headers: { ...securityHeaders(type.startsWith('text/html')), 'Content-Type': type },
    });
  });
}
