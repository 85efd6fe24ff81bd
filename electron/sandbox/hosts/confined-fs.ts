import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Maps a machine's absolute paths (`/var/lib/juju/...`) onto its tree on the
 * real disk and guarantees nothing resolves outside that tree: `..` segments
 * are refused outright and every existing component is checked with
 * `realpath`, so a symlink pointing out of the tree (absolute, or relative
 * with enough `..`) is refused too.
 */

/** A path the remote command may not touch; the host turns it into exit 1 with `message` on stderr. */
export class PathEscapeError extends Error {
  constructor(readonly remotePath: string) {
    super(`${remotePath}: Permission denied (outside the machine's filesystem)`);
    this.name = 'PathEscapeError';
  }
}

function within(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

export class ConfinedFs {
  #realRoot: string | undefined;

  constructor(readonly root: string) {}

  async realRoot(): Promise<string> {
    this.#realRoot ??= await fs.realpath(this.root);
    return this.#realRoot;
  }

  /** Remote absolute path → host path (lexically only; use `resolve` before touching it). */
  hostPath(remotePath: string): string {
    if (!remotePath.startsWith('/') || remotePath.split('/').includes('..') || remotePath.includes('\0')) {
      throw new PathEscapeError(remotePath);
    }
    const rel = path.posix.normalize(remotePath).replace(/^\/+/, '');
    return rel === '' ? this.root : path.join(this.root, ...rel.split('/'));
  }

  /** Host path → the remote absolute path it represents. */
  remotePath(hostPath: string): string {
    const rel = path.relative(this.root, hostPath);
    return `/${rel.split(path.sep).join('/')}`.replace(/\/$/, '') || '/';
  }

  /**
   * Resolves a remote path for use. Every existing component must stay in
   * the tree after following symlinks. With `final: 'nofollow'` the last
   * component itself may be a symlink (it is then used as a link, not
   * followed: tar-out archives links as links, and rename replaces them).
   */
  async resolve(remotePath: string, final: 'follow' | 'nofollow' = 'follow'): Promise<string> {
    const host = this.hostPath(remotePath);
    const root = await this.realRoot();
    const parent = path.dirname(host);
    if (host !== this.root) {
      const realParent = await realpathExisting(parent);
      if (!within(root, realParent)) throw new PathEscapeError(remotePath);
    }
    if (final === 'follow') {
      const real = await realpathExisting(host);
      if (!within(root, real)) throw new PathEscapeError(remotePath);
    }
    return host;
  }

  /** True when `hostPath` (already inside the tree) resolves inside it; for walking directories. */
  async isInside(hostPath: string): Promise<boolean> {
    const real = await realpathExisting(hostPath);
    return within(await this.realRoot(), real);
  }
}

/**
 * realpath of the longest existing prefix, with the rest appended: a path
 * that does not exist yet is judged by where its existing ancestors lead.
 * A dangling symlink is judged by its target.
 */
async function realpathExisting(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    const lst = await fs.lstat(p).catch(() => undefined);
    if (lst?.isSymbolicLink()) {
      const target = await fs.readlink(p);
      const abs = path.resolve(path.dirname(p), target);
      if (abs === p) return p;
      return realpathExisting(abs);
    }
    const parent = path.dirname(p);
    if (parent === p) return p;
    return path.join(await realpathExisting(parent), path.basename(p));
  }
}
