import { formatFlags } from './args';
import type { Command } from './context';

/**
 * Help text in juju/cmd's layout (`Usage:`, `Summary:`, `Options:`,
 * `Details:`), plus Quorum's own notes on environment selection and exit
 * codes in the top-level help.
 */

export function commandHelp(c: Command<never>): string {
  const name = ['quorum', ...c.path].join(' ');
  const lines = [`Usage: ${name} [options]${c.args ? ` ${c.args}` : ''}`, '', 'Summary:', c.purpose, ''];
  if (c.flags.length > 0) lines.push('Options:', formatFlags(c.flags), '');
  if (c.doc) lines.push('Details:', c.doc.trim(), '');
  return `${lines.join('\n')}`;
}

function commandList(commands: readonly Command<never>[], prefix: readonly string[], extra: ReadonlyArray<readonly [string, string]> = []): string {
  const rows = [
    ...commands.filter((c) => prefix.every((w, i) => c.path[i] === w)).map((c) => [c.path.slice(prefix.length).join(' '), c.purpose] as const),
    ...extra,
  ];
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, p]) => `    ${n.padEnd(width)}  - ${p}`).join('\n');
}

export function groupHelp(group: string, purpose: string, commands: readonly Command<never>[]): string {
  return [`Usage: quorum ${group} [options] <command> ...`, '', 'Summary:', purpose, '', 'Commands:', commandList(commands, [group]), ''].join('\n');
}

export function topHelp(commands: readonly Command<never>[], version: string): string {
  return `Usage: quorum [options] <command> ...

Summary:
Quorum ${version}: the state servers of a Juju 1.25 environment from a
terminal — status, backups, restore and ensure-availability through the
same services as the console.

Commands:
${commandList(commands, [], [
  ['help', 'show help on a command'],
  ['version', 'print the version'],
])}

Environment selection (as Juju 1.x):
    -e ENV / --environment ENV, else $JUJU_ENV, else
    $JUJU_HOME/current-environment (JUJU_HOME defaults to ~/.juju), else
    "default:" in environments.yaml. ENV is a .jenv name, an environment
    added by hand in the console, or "sandbox" (Quorum's built-in sandbox).
    With Juju configuration but nothing selected: "no environment
    specified". With no Juju configuration at all, the sandbox is used.

    The sandbox runs in QUORUM_HOME. When the console (or npm run sandbox)
    runs it already, commands use that one; otherwise they start it for
    their duration and stop it afterwards.

Exit codes:
    0 success; 1 the command failed (ERROR … on stderr);
    2 usage error (error: … on stderr).

Progress is drawn on stderr when it is a terminal (never under --quiet).
Logs go to QUORUM_HOME/logs/quorum.log. Secrets are never printed.

See "quorum help <command>" for a command's options.
`;
}
