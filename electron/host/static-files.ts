import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Maps a request path to a file inside the built renderer, or null. Shared
 * by browser mode and Electron's `app://` protocol so both confine files the
 * same way: percent-decoding, NUL bytes, `..`, absolute paths, backslashes
 * and symlinks that lead outside `root` are all refused.
 */
export function confinedPath(root: string, requestPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (!decoded.startsWith('/')) decoded = '/' + decoded;
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  const rootAbs = path.resolve(root);
  const candidate = path.resolve(rootAbs, '.' + path.posix.normalize(decoded));
  const rel = path.relative(rootAbs, candidate);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return candidate;
}

/**
 * Resolves what to serve for a request path: the file itself, or
 * `index.html` for the root and for extension-less paths (client-side
 * routes). Null when nothing may be served. Symlinks are resolved and must
 * stay inside the root.
 */
export async function resolveRendererFile(root: string, requestPath: string): Promise<string | null> {
  const direct = confinedPath(root, requestPath);
  if (direct === null) return null;
  const isRoute = requestPath === '/' || requestPath === '' || path.posix.extname(requestPath) === '';
  for (const candidate of isRoute ? [direct, path.join(path.resolve(root), 'index.html')] : [direct]) {
    try {
      const real = await realpath(candidate);
      const realRoot = await realpath(root);
      const rel = path.relative(realRoot, real);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      if ((await stat(real)).isFile()) return real;
    } catch {
      // not there: try the next candidate
    }
  }
  return null;
}
