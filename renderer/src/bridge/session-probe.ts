import { SESSION_PATH, TOKEN_REFUSED_HEADER } from '../../../shared/ipc/ws-protocol';

/** The part of `fetch` the probe uses (the browser's, or Node's in tests). */
export type SessionFetch = (
  path: string,
  init: { readonly credentials: 'same-origin'; readonly cache: 'no-store' },
) => Promise<{ readonly status: number; readonly headers: { get(name: string): string | null } }>;

/**
 * Asks the browser-mode host whether this page's token is still good: a
 * refusal marked as Quorum's means a new launch (new token) took the
 * address; anything else (no answer, let in) is a transient drop.
 */
export async function probeSession(fetcher: SessionFetch): Promise<'refused' | 'other'> {
  try {
    const res = await fetcher(SESSION_PATH, { credentials: 'same-origin', cache: 'no-store' });
    return res.headers.get(TOKEN_REFUSED_HEADER) === 'token' ? 'refused' : 'other';
  } catch {
    return 'other';
  }
}
