import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveQuorumHome } from '../services/paths';

describe('resolveQuorumHome', () => {
  it('prefers QUORUM_HOME', () => {
    expect(resolveQuorumHome({ QUORUM_HOME: '/tmp/q' }, 'linux', '/home/u')).toBe(path.resolve('/tmp/q'));
  });
  it('uses the platform app-data folder otherwise', () => {
    expect(resolveQuorumHome({}, 'linux', '/home/u')).toBe('/home/u/.config/Quorum');
    expect(resolveQuorumHome({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/Quorum');
    expect(resolveQuorumHome({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/Quorum');
    expect(resolveQuorumHome({ APPDATA: '/c/Users/u/AppData/Roaming' }, 'win32', '/c/Users/u')).toBe('/c/Users/u/AppData/Roaming/Quorum');
  });
});
