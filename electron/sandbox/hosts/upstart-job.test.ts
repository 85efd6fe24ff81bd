import { describe, expect, it } from 'vitest';
import { upstartJobOf } from './commands';

describe('upstartJobOf: which job an /etc/init file defines', () => {
  it('Juju agent jobs only', () => {
    expect(upstartJobOf('/etc/init/jujud-machine-0.conf')).toBe('jujud-machine-0');
    expect(upstartJobOf('/etc/init/jujud-machine-12.conf')).toBe('jujud-machine-12');
    expect(upstartJobOf('/etc/init/jujud-unit-mysql-0.conf')).toBe('jujud-unit-mysql-0');
    for (const other of ['/etc/init/juju-db.conf', '/etc/init/jujud-machine-0.override', '/etc/init/sub/jujud-machine-0.conf', '/tmp/jujud-machine-0.conf', '/etc/init/jujud-machine-01.conf']) {
      expect(upstartJobOf(other)).toBeNull();
    }
  });
});
