import { describe, expect, it } from 'vitest';
import { CLI_COMMANDS } from '../main/cli-argv';
import type { CliIo } from './context';
import { CLI_COMMAND_WORDS, main } from './main';

/** Runs the CLI with captured output; nothing here reaches a service (usage is checked before anything starts). */
async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stderrIsTty: false,
    cwd: '/nonexistent',
    env: {},
  };
  const code = await main(argv, { io, home: '/nonexistent/quorum-home', homedir: '/nonexistent' });
  return { code, stdout, stderr };
}

describe('quorum: usage errors as juju/cmd prints them (error: …, exit 2)', () => {
  it.each([
    [['backups', 'create', '--no-download', '--filename', 'x.tar.gz'], 'error: cannot mix --no-download and --filename\n'],
    [['backups', 'create', '--filename='], 'error: missing filename\n'],
    [['backups', 'create', 'a', 'b'], 'error: unrecognized args: ["b"]\n'],
    [['backups', 'create', '--notes', 'n', 'positional'], 'error: cannot mix --notes and a <notes> argument\n'],
    [['backups', 'info'], 'error: missing ID\n'],
    [['backups', 'download'], 'error: missing ID\n'],
    [['backups', 'remove', 'a', 'b', 'c'], 'error: unrecognized args: ["b" "c"]\n'],
    [['backups', 'upload'], 'error: backup filename not specified\n'],
    [['backups', 'list', '--bogus'], 'error: flag provided but not defined: --bogus\n'],
    [['backups', 'list', '-e'], 'error: flag needs an argument: -e\n'],
    [['status', '--format', 'xml'], 'error: invalid value "xml" for flag --format: unknown format "xml"\n'],
    [['backups', 'restore'], 'error: you must specify either a file or a backup id.\n'],
    [['backups', 'restore', '--file', 'a.tar.gz', '--id', 'x'], 'error: you must specify either a file or a backup id but not both.\n'],
    [['backups', 'restore', '--id', 'x', '-b'], 'error: it is not possible to rebootstrap and restore from an id.\n'],
    [['backups', 'restore', '--file', 'a.tar.gz', 'extra'], 'error: unrecognized args: ["extra"]\n'],
    [['backups', 'restore', '--file', 'a.tar.gz', '--ssh-port', '22'], 'error: --ssh-port needs --to\n'],
    [['backups', 'restore', '--file', 'a.tar.gz', '--to', '10.0.0.5', '--ssh-port', '0'], 'error: invalid value "0" for flag --ssh-port: a port from 1 to 65535\n'],
    [['backups', 'restore', '--file', 'a.tar.gz', '--to', 'host;rm -rf /'], 'error: invalid value "host;rm -rf /" for flag --to: an IP address or host name\n'],
    [['frobnicate'], 'error: unrecognized command: quorum frobnicate\n'],
    [['backups', 'frobnicate'], 'error: unrecognized command: quorum backups frobnicate\n'],
  ])('%j', async (argv, expected) => {
    const r = await run(...argv);
    expect(r).toEqual({ code: 2, stdout: '', stderr: expected });
  });
});

describe('quorum: help and version', () => {
  it('prints the top help with environment selection and exit codes', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('backups create');
    expect(r.stdout).toContain('no environment\n    specified');
    expect(r.stdout).toContain('With no Juju configuration at all, the sandbox is used.');
    expect(r.stdout).toContain('2 usage error');
  });

  it('prints a command help for help <cmd> and for --help', async () => {
    const viaHelp = await run('help', 'backups', 'create');
    const viaFlag = await run('backups', 'create', '--help');
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: quorum backups create \[options\] \[<notes>\]\n/);
    expect(viaHelp.stdout).toContain('--no-download');
    expect((await run('backups')).stdout).toContain('Commands:');
    expect((await run('help', 'nothing')).code).toBe(2);
  });

  it('prints the version', async () => {
    expect((await run('version')).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("every command word is one the app's executable hands to the CLI", () => {
    for (const word of CLI_COMMAND_WORDS) expect(CLI_COMMANDS).toContain(word);
  });
});
