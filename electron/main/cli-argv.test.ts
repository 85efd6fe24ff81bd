import { describe, expect, it } from 'vitest';
import { cliArgv } from './cli-argv';

describe('cliArgv', () => {
  it('finds a command after the packaged executable', () => {
    expect(cliArgv(['/usr/bin/quorum', 'backups', 'list', '--brief'], true)).toEqual(['backups', 'list', '--brief']);
    expect(cliArgv(['/usr/bin/quorum', '--no-sandbox', 'status', '-e', 'prod'], true)).toEqual(['status', '-e', 'prod']);
  });

  it('skips the app path when unpackaged', () => {
    expect(cliArgv(['electron', '.', 'version'], false)).toEqual(['version']);
  });

  it('is null for the window (no command, or something else)', () => {
    expect(cliArgv(['/usr/bin/quorum'], true)).toBeNull();
    expect(cliArgv(['/usr/bin/quorum', '--enable-logging'], true)).toBeNull();
    expect(cliArgv(['electron', '.', 'some-file.tar.gz'], false)).toBeNull();
  });
});
