import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, contentTypeFor, securityHeaders } from './security-headers';

describe('security headers', () => {
  it('the CSP in renderer/index.html is the one both hosts send', async () => {
    const html = await readFile(path.resolve(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('never lets HTML be cached and always forbids sniffing and referrers', () => {
    expect(securityHeaders(true)['Cache-Control']).toBe('no-store');
    for (const html of [true, false]) {
      expect(securityHeaders(html)['X-Content-Type-Options']).toBe('nosniff');
      expect(securityHeaders(html)['Referrer-Policy']).toBe('no-referrer');
    }
    expect(contentTypeFor('a/b/index.HTML')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('x.unknown')).toBe('application/octet-stream');
  });
});
