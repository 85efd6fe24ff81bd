/**
 * The complete set of commands Quorum runs on a state server over SSH.
 *
 * Each command is rendered to a shell line that works on a real Ubuntu host
 * (trusty/xenial, as Juju 1.25 deploys) with passwordless `sudo`, and parsed
 * back by the sandbox hosts, which implement exactly this set and nothing
 * else. Rendering and parsing live together so the two cannot drift: the
 * parser accepts only what `renderRemoteCommand` produces.
 *
 * Pure TypeScript, shared by the services (client side) and the sandbox
 * (server side).
 */

import { parseRestoreCommand, renderRestoreCommand, type RestoreCommand } from './remote-restore-commands';

/** Services Quorum may control: juju-db and machine agents. */
export type ServiceName = 'juju-db' | `jujud-machine-${number}` | `jujud-unit-${string}`;
export type ServiceAction = 'start' | 'stop' | 'status';

export type RemoteCommand =
  /** stdout: the file's bytes. */
  | { readonly kind: 'read-file'; readonly path: string }
  /** stdin: the new content; written to a temporary file beside `path`, chmod'ed, then renamed over it. */
  | { readonly kind: 'write-file'; readonly path: string; readonly mode: number }
  /** stdout: an uncompressed tar of `paths` (absolute), members named without the leading `/`. Missing paths are skipped. */
  | { readonly kind: 'tar-out'; readonly paths: readonly string[] }
  /** stdin: an uncompressed tar, extracted under `/` keeping modes. */
  | { readonly kind: 'tar-in' }
  /** stdout: upstart-style status line, e.g. `juju-db start/running, process 123` or `juju-db stop/waiting`. */
  | { readonly kind: 'service'; readonly service: ServiceName; readonly action: ServiceAction }
  /** stdout: one matching absolute path per line (nothing when none match). */
  | { readonly kind: 'glob'; readonly pattern: string }
  /** stdout: POSIX `df -P -B1` output for the filesystem holding `path`. */
  | { readonly kind: 'free-space'; readonly path: string }
  | RestoreCommand;

export type RemoteCommandKind = RemoteCommand['kind'];

export type { RestoreCommand, RecreateDir } from './remote-restore-commands';
export { RESTORE_DIRS, MONGORESTORE_PATH, mongorestoreOplogReplay, parseDiskUsage, parseRestoreProbe } from './remote-restore-commands';

export const SAFE_PATH = /^\/[A-Za-z0-9._+@:,=/-]*$/;
const SAFE_GLOB = /^\/[A-Za-z0-9._+@:,=/*?-]*$/;
const SERVICE_NAME = /^(juju-db|jujud-machine-\d+|jujud-unit-[a-z][a-z0-9-]*-\d+)$/;

/** Quote one argument for POSIX sh. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function assertPath(path: string, pattern = SAFE_PATH): void {
  if (!pattern.test(path) || path.split('/').includes('..')) {
    throw new RangeError(`unsafe remote path: ${JSON.stringify(path)}`);
  }
}

const WRITE_SCRIPT =
  'set -e; d=$(dirname "$1"); t=$(mktemp "$d/.quorum-write.XXXXXX"); trap \'rm -f "$t"\' EXIT; ' +
  'cat > "$t"; chmod "$2" "$t"; mv -f "$t" "$1"; trap - EXIT';
const GLOB_SCRIPT = 'for f in $1; do if [ -e "$f" ]; then printf "%s\\n" "$f"; fi; done';

/** Renders a command as the shell line sent in an SSH `exec` request. */
export function renderRemoteCommand(cmd: RemoteCommand): string {
  switch (cmd.kind) {
    case 'read-file':
      assertPath(cmd.path);
      return `sudo -n cat -- ${shellQuote(cmd.path)}`;
    case 'write-file':
      assertPath(cmd.path);
      if (!Number.isInteger(cmd.mode) || cmd.mode < 0 || cmd.mode > 0o777) throw new RangeError('bad file mode');
      return `sudo -n sh -c ${shellQuote(WRITE_SCRIPT)} quorum-write ${shellQuote(cmd.path)} ${shellQuote(
        cmd.mode.toString(8).padStart(4, '0'),
      )}`;
    case 'tar-out': {
      if (cmd.paths.length === 0) throw new RangeError('tar-out needs at least one path');
      for (const p of cmd.paths) assertPath(p);
      const rel = cmd.paths.map((p) => shellQuote(p.replace(/^\/+/, '')));
      return `sudo -n tar -C / --ignore-failed-read -cf - -- ${rel.join(' ')}`;
    }
    case 'tar-in':
      return 'sudo -n tar -C / -xpf -';
    case 'service':
      if (!SERVICE_NAME.test(cmd.service)) throw new RangeError(`unknown service: ${cmd.service}`);
      return `sudo -n service ${cmd.service} ${cmd.action}`;
    case 'glob':
      assertPath(cmd.pattern, SAFE_GLOB);
      return `sudo -n sh -c ${shellQuote(GLOB_SCRIPT)} quorum-glob ${shellQuote(cmd.pattern)}`;
    case 'free-space':
      assertPath(cmd.path);
      return `df -P -B1 -- ${shellQuote(cmd.path)}`;
    default:
      return renderRestoreCommand(cmd);
  }
}

/**
 * Splits a shell line into words. Only what `renderRemoteCommand` emits is
 * understood: bare words and single-quoted strings (with `'\''`). Anything
 * else (double quotes, `;`, `|`, `$`, redirections) makes it return null.
 */
export function splitShellWords(line: string): string[] | null {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && line[i] !== ' ') {
      const ch = line[i]!;
      if (ch === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) return null;
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '\\' && line[i + 1] === "'") {
        word += "'";
        i += 2;
      } else if (/[A-Za-z0-9._+@:,=/*?-]/.test(ch)) {
        word += ch;
        i++;
      } else {
        return null;
      }
    }
    words.push(word);
  }
  return words;
}

export function eq(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Parses an exec line back into a command, or null when it is not exactly one
 * of the set (the sandbox then answers exit 127).
 */
export function parseRemoteCommand(line: string): RemoteCommand | null {
  const w = splitShellWords(line.trim());
  if (!w) return null;
  try {
    let cmd: RemoteCommand | null = null;
    if (w.length === 5 && eq(w.slice(0, 4), ['sudo', '-n', 'cat', '--'])) {
      cmd = { kind: 'read-file', path: w[4]! };
    } else if (w.length === 8 && eq(w.slice(0, 5), ['sudo', '-n', 'sh', '-c', WRITE_SCRIPT])) {
      if (w[5] !== 'quorum-write' || !/^0[0-7]{3}$/.test(w[7]!)) return null;
      cmd = { kind: 'write-file', path: w[6]!, mode: parseInt(w[7]!, 8) };
    } else if (w.length >= 8 && eq(w.slice(0, 7), ['sudo', '-n', 'tar', '-C', '/', '--ignore-failed-read', '-cf']) && w[7] === '-') {
      if (w[8] !== '--' || w.length < 10) return null;
      cmd = { kind: 'tar-out', paths: w.slice(9).map((p) => `/${p}`) };
    } else if (eq(w, ['sudo', '-n', 'tar', '-C', '/', '-xpf', '-'])) {
      cmd = { kind: 'tar-in' };
    } else if (w.length === 5 && eq(w.slice(0, 3), ['sudo', '-n', 'service'])) {
      const action = w[4];
      if (action !== 'start' && action !== 'stop' && action !== 'status') return null;
      cmd = { kind: 'service', service: w[3] as ServiceName, action };
    } else if (w.length === 7 && eq(w.slice(0, 4), ['sudo', '-n', 'sh', '-c']) && w[4] === GLOB_SCRIPT) {
      if (w[5] !== 'quorum-glob') return null;
      cmd = { kind: 'glob', pattern: w[6]! };
    } else if (w.length === 5 && eq(w.slice(0, 4), ['df', '-P', '-B1', '--'])) {
      cmd = { kind: 'free-space', path: w[4]! };
    } else {
      cmd = parseRestoreCommand(w);
    }
    if (!cmd) return null;
    // Re-render: only lines that round-trip exactly are accepted.
    return renderRemoteCommand(cmd) === line.trim() ? cmd : null;
  } catch {
    return null;
  }
}

/** Parses `df -P -B1` output into bytes available on the filesystem. */
export function parseDfAvailable(stdout: string): number {
  const lines = stdout.trim().split('\n');
  const cols = lines[lines.length - 1]?.trim().split(/\s+/) ?? [];
  const avail = Number(cols[3]);
  if (lines.length < 2 || !Number.isFinite(avail)) throw new Error('unrecognised df output');
  return avail;
}

/** True when a `service … status` line says the service runs (upstart or systemd wording). */
export function parseServiceRunning(stdout: string): boolean {
  return /start\/running|active \(running\)/.test(stdout);
}
