import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appUrlToPath, isAllowedExternalUrl, isAllowedNavigation, isTrustedSender } from './security';

describe('Electron sender validation', () => {
  const ours = new Set([7]);
  const good = { webContentsId: 7, frameUrl: 'app://quorum/index.html', isMainFrame: true };

  it('trusts the top frame of our window on our scheme', () => {
    expect(isTrustedSender(good, ours)).toBe(true);
    expect(isTrustedSender({ ...good, frameUrl: 'app://quorum/#/backups' }, ours)).toBe(true);
  });

  it('refuses other windows, sub-frames, destroyed frames and foreign origins', () => {
    expect(isTrustedSender({ ...good, webContentsId: 8 }, ours)).toBe(false);
    expect(isTrustedSender({ ...good, isMainFrame: false }, ours)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: null }, ours)).toBe(false);
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'app://evil/index.html',
      'app://quorum.evil/index.html',
      'app://user:pw@quorum/index.html',
      'http://127.0.0.1:3000/',
      'devtools://devtools/bundled/inspector.html',
      'not a url',
    ]) {
      expect(isTrustedSender({ ...good, frameUrl: url }, ours), url).toBe(false);
    }
  });
});

describe('navigation and external links', () => {
  it('allows in-window navigation only within app://quorum', () => {
    expect(isAllowedNavigation('app://quorum/index.html#/topology')).toBe(true);
    expect(isAllowedNavigation('https://juju.is/docs')).toBe(false);
    expect(isAllowedNavigation('file:///tmp/x.html')).toBe(false);
  });

  it('opens only https links to allowlisted hosts', () => {
    expect(isAllowedExternalUrl('https://juju.is/docs/olm/backups')).toBe(true);
    expect(isAllowedExternalUrl('http://juju.is/docs')).toBe(false);
    expect(isAllowedExternalUrl('https://juju.is.evil.example/')).toBe(false);
    expect(isAllowedExternalUrl('https://evil.example/?juju.is')).toBe(false);
    expect(isAllowedExternalUrl('https://user@juju.is/')).toBe(false);
    expect(isAllowedExternalUrl('https://juju.is:8443/')).toBe(false);
    expect(isAllowedExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isAllowedExternalUrl('javascript:alert(1)')).toBe(false);
  });
});

describe('app:// protocol path confinement', () => {
  const root = path.resolve('/opt/quorum/out/renderer');
  it('maps app://quorum paths into the renderer folder', () => {
    expect(appUrlToPath(root, 'app://quorum/index.html')).toBe(path.join(root, 'index.html'));
    expect(appUrlToPath(root, 'app://quorum/assets/index-abc.js?x=1')).toBe(path.join(root, 'assets/index-abc.js'));
    expect(appUrlToPath(root, 'app://quorum/')).toBe(root);
  });

  it('never maps outside the folder, and refuses encoded escapes and other hosts', () => {
    // The URL parser already resolves literal dot segments: what is left stays inside.
    expect(appUrlToPath(root, 'app://quorum/../../etc/passwd')).toBe(path.join(root, 'etc/passwd'));
    expect(appUrlToPath(root, 'app://quorum/%2e%2e/%2e%2e/etc/passwd')).toBe(path.join(root, 'etc/passwd'));
    for (const url of [
      'app://quorum/assets/..%2f..%2f..%2fetc%2fpasswd',
      'app://quorum/%5c..%5c..%5cwindows',
      'app://quorum/a%00.js',
      'app://other/index.html',
      'file:///etc/passwd',
      'app://quorum/%E0%A4%A',
    ]) {
      expect(appUrlToPath(root, url), url).toBeNull();
    }
  });
});
