import { describe, expect, it } from 'vitest';
import { jujuEnvironment } from '../../testing/fake-api';
import { environmentSummary } from './environment-labels';

describe('environmentSummary', () => {
  it('says a .jenv environment uses SSH on port 22, Juju\'s default', () => {
    expect(environmentSummary(jujuEnvironment('prod', { stateServers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] }))).toBe(
      "3 state servers · SSH on port 22 (Juju's default) as ubuntu",
    );
  });

  it('says the port an environment added by hand uses, without calling it a default', () => {
    expect(environmentSummary(jujuEnvironment('lab', { kind: 'manual', sshPort: 2222, sshUser: 'admin' }))).toBe('1 state server · SSH on port 2222 as admin');
  });
});
