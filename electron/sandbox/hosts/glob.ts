import fs from 'node:fs/promises';
import path from 'node:path';
import type { ConfinedFs } from './confined-fs';

/**
 * `for f in PATTERN; do [ -e "$f" ] && echo "$f"; done` inside a machine's
 * tree: `*` and `?` match within one path segment, a leading dot is only
 * matched explicitly (sh semantics), results are sorted per segment as the
 * shell sorts them, and entries that resolve outside the tree are dropped.
 */
export async function globInTree(pattern: string, cfs: ConfinedFs): Promise<string[]> {
  const segments = pattern.split('/').filter((s) => s !== '');
  let current: string[] = ['/'];
  for (const seg of segments) {
    const next: string[] = [];
    const wild = /[*?]/.test(seg);
    for (const dir of current) {
      if (!wild) {
        next.push(path.posix.join(dir, seg));
        continue;
      }
      const re = segmentRegExp(seg);
      let names: string[];
      try {
        const host = await cfs.resolve(dir);
        names = (await fs.readdir(host)).sort();
      } catch {
        continue;
      }
      for (const name of names) if (re.test(name)) next.push(path.posix.join(dir, name));
    }
    current = next;
  }
  const out: string[] = [];
  for (const candidate of current) {
    try {
      // `[ -e ]` follows links: a dangling or escaping one does not count.
      const host = await cfs.resolve(candidate);
      await fs.stat(host);
      out.push(candidate);
    } catch {
      /* not there, or outside the tree */
    }
  }
  return out;
}

function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (const ch of seg) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // sh: `*` and `?` never match a leading dot.
  const dotGuard = seg.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${dotGuard}${re}$`);
}
