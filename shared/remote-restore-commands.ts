/**
 * The remote commands a restore needs (Juju 1.25's server-side restore,
 * `state/backups/restore.go` and `PrepareMachineForRestore`, and the legacy
 * plugin's script), rendered and parsed beside the rest of the set in
 * `remote-commands.ts`. Every line runs on a trusty state server with
 * passwordless sudo, and the sandbox hosts implement the same lines.
 *
 * Pure TypeScript.
 */
import { assertPath, eq, SAFE_PATH, shellQuote } from './remote-commands';

/** One directory `recreate-dirs` removes and makes again. */
export interface RecreateDir {
  readonly path: string;
  /** Permission bits, e.g. 0o755. */
  readonly mode: number;
  /** `user:group` (or `user`), as chown takes it. */
  readonly owner: string;
}

export type RestoreCommand =
  /**
   * stdin: exactly `size` bytes, written to a temporary file beside `path`;
   * the size (and SHA-1 when given) is checked, then the file is chmod'ed
   * and renamed over `path`. A short, long or different stream leaves
   * nothing behind and exits 1.
   */
  | { readonly kind: 'upload-file'; readonly path: string; readonly mode: number; readonly size: number; readonly sha1?: string }
  /** `mkdir -p` with the mode on the last component (a staging folder). */
  | { readonly kind: 'make-dir'; readonly path: string; readonly mode: number }
  /** `rm -rf` of a staging folder Quorum made: the last component must start with `quorum-`. */
  | { readonly kind: 'remove-staging'; readonly path: string }
  /**
   * Juju's PrepareMachineForRestore: each directory (in order) is removed
   * with everything below it, then made again with its mode and owner.
   * Only Juju's restore folders (`RESTORE_DIRS`, possibly below a prefix).
   */
  | { readonly kind: 'recreate-dirs'; readonly dirs: readonly RecreateDir[] }
  /** `tar -C dir -xp[z]f archive`: an archive already on the machine (root.tar into `/`, the backup into staging). */
  | { readonly kind: 'extract-tar'; readonly archive: string; readonly dir: string; readonly gzip: boolean }
  /**
   * Juju's offline restore: `/usr/lib/juju/bin/mongorestore` (else the one
   * on PATH) `--drop --journal [--oplogReplay] --dbpath <dbpath> <dump>`,
   * with juju-db stopped. stdout/stderr: mongorestore's progress lines.
   */
  | { readonly kind: 'mongorestore'; readonly dbpath: string; readonly dump: string; readonly oplogReplay: boolean }
  /** stdout: `du -s -B1` (`<bytes>\t<path>`). */
  | { readonly kind: 'disk-usage'; readonly path: string }
  /**
   * stdout, one fact per line: `tools <path> <downloaded-tools.txt on one line>`
   * for each `<dataDir>/tools/<x>/downloaded-tools.txt`, then, when a
   * mongorestore is installed, `mongorestore <path>` and
   * `mongorestore-version <first line of its --version>`.
   */
  | { readonly kind: 'restore-probe'; readonly dataDir: string };

/** What Juju 1.25 deletes and recreates before placing root.tar (`replaceableFolders`). */
export const RESTORE_DIRS: readonly string[] = ['/var/lib/juju', '/var/lib/juju/db', '/var/log/juju'];
/** Where Juju 1.25 looks for mongorestore first (`paths.MongorestorePath`). */
export const MONGORESTORE_PATH = '/usr/lib/juju/bin/mongorestore';

const UPLOAD_SCRIPT =
  'set -e; d=$(dirname "$1"); t=$(mktemp "$d/.quorum-upload.XXXXXX"); trap \'rm -f "$t"\' EXIT; cat > "$t"; ' +
  'n=$(stat -c %s "$t"); if [ "$n" != "$3" ]; then echo "upload: received $n bytes, expected $3" >&2; exit 1; fi; ' +
  'if [ "$4" != - ]; then s=$(sha1sum "$t" | cut -d " " -f 1); if [ "$s" != "$4" ]; then echo "upload: SHA-1 $s, expected $4" >&2; exit 1; fi; fi; ' +
  'chmod "$2" "$t"; mv -f "$t" "$1"; trap - EXIT';
const RECREATE_SCRIPT = 'set -e; while [ $# -gt 0 ]; do rm -rf -- "$1"; mkdir -p -- "$1"; chown -- "$3" "$1"; chmod -- "$2" "$1"; shift 3; done';
const MONGORESTORE_SCRIPT = `m=${MONGORESTORE_PATH}; [ -x "$m" ] || m=mongorestore; exec "$m" "$@"`;
const PROBE_SCRIPT =
  'for f in "$1"/tools/*/downloaded-tools.txt; do if [ -f "$f" ]; then printf "tools %s " "$f"; tr -d "\\n" < "$f"; echo; fi; done; ' +
  `m=${MONGORESTORE_PATH}; if [ ! -x "$m" ]; then m=$(command -v mongorestore || true); fi; ` +
  'if [ -n "$m" ]; then printf "mongorestore %s\\n" "$m"; printf "mongorestore-version %s\\n" "$("$m" --version 2>&1 | head -n 1)"; fi';

const OWNER = /^[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?$/;
const SHA1 = /^[0-9a-f]{40}$/;
const STAGING = /^quorum-[A-Za-z0-9._-]+$/;
const MAX_UPLOAD = 2 ** 50;

function octal(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new RangeError('bad file mode');
  return mode.toString(8).padStart(4, '0');
}

function parseOctal(text: string | undefined): number | null {
  return text !== undefined && /^0[0-7]{3}$/.test(text) ? parseInt(text, 8) : null;
}

/** A restore folder, itself or below a prefix (a test tree): never `/`, `/var` or anything else. */
export function isRestoreDir(path: string): boolean {
  if (!SAFE_PATH.test(path) || path.split('/').includes('..')) return false;
  return RESTORE_DIRS.some((d) => path === d || (path.endsWith(d) && path.length > d.length && !path.slice(0, -d.length).endsWith('/')));
}

function assertStaging(path: string): void {
  assertPath(path);
  const parts = path.split('/').filter(Boolean);
  if (parts.length < 2 || !STAGING.test(parts[parts.length - 1]!)) {
    throw new RangeError(`not a Quorum staging folder: ${JSON.stringify(path)}`);
  }
}

export function renderRestoreCommand(cmd: RestoreCommand): string {
  switch (cmd.kind) {
    case 'upload-file': {
      assertPath(cmd.path);
      if (!Number.isSafeInteger(cmd.size) || cmd.size < 0 || cmd.size > MAX_UPLOAD) throw new RangeError('bad upload size');
      if (cmd.sha1 !== undefined && !SHA1.test(cmd.sha1)) throw new RangeError('bad SHA-1');
      const args = [cmd.path, octal(cmd.mode), String(cmd.size), cmd.sha1 ?? '-'].map(shellQuote);
      return `sudo -n sh -c ${shellQuote(UPLOAD_SCRIPT)} quorum-upload ${args.join(' ')}`;
    }
    case 'make-dir':
      assertPath(cmd.path);
      return `sudo -n mkdir -p -m ${octal(cmd.mode)} -- ${shellQuote(cmd.path)}`;
    case 'remove-staging':
      assertStaging(cmd.path);
      return `sudo -n rm -rf -- ${shellQuote(cmd.path)}`;
    case 'recreate-dirs': {
      if (cmd.dirs.length === 0) throw new RangeError('recreate-dirs needs at least one directory');
      const args: string[] = [];
      for (const d of cmd.dirs) {
        if (!isRestoreDir(d.path)) throw new RangeError(`not a Juju restore folder: ${JSON.stringify(d.path)}`);
        if (!OWNER.test(d.owner)) throw new RangeError(`bad owner: ${JSON.stringify(d.owner)}`);
        args.push(shellQuote(d.path), shellQuote(octal(d.mode)), shellQuote(d.owner));
      }
      return `sudo -n sh -c ${shellQuote(RECREATE_SCRIPT)} quorum-recreate ${args.join(' ')}`;
    }
    case 'extract-tar':
      assertPath(cmd.archive);
      assertPath(cmd.dir);
      return `sudo -n tar -C ${shellQuote(cmd.dir)} ${cmd.gzip ? '-xpzf' : '-xpf'} ${shellQuote(cmd.archive)}`;
    case 'mongorestore': {
      assertPath(cmd.dbpath);
      assertPath(cmd.dump);
      const flags = cmd.oplogReplay ? '--drop --journal --oplogReplay' : '--drop --journal';
      return `sudo -n sh -c ${shellQuote(MONGORESTORE_SCRIPT)} quorum-mongorestore ${flags} --dbpath ${shellQuote(cmd.dbpath)} ${shellQuote(cmd.dump)}`;
    }
    case 'disk-usage':
      assertPath(cmd.path);
      return `sudo -n du -s -B1 -- ${shellQuote(cmd.path)}`;
    case 'restore-probe':
      assertPath(cmd.dataDir);
      return `sudo -n sh -c ${shellQuote(PROBE_SCRIPT)} quorum-probe ${shellQuote(cmd.dataDir)}`;
  }
}

/** Words of an exec line → one of the restore commands (unvalidated: the caller re-renders it), or null. */
export function parseRestoreCommand(w: readonly string[]): RestoreCommand | null {
  if (w[0] !== 'sudo' || w[1] !== '-n') return null;
  if (w[2] === 'sh' && w[3] === '-c') {
    const [script, name, ...args] = w.slice(4);
    if (script === UPLOAD_SCRIPT && name === 'quorum-upload' && args.length === 4) {
      const mode = parseOctal(args[1]);
      if (mode === null || !/^\d{1,16}$/.test(args[2]!)) return null;
      return { kind: 'upload-file', path: args[0]!, mode, size: Number(args[2]), ...(args[3] === '-' ? {} : { sha1: args[3]! }) };
    }
    if (script === RECREATE_SCRIPT && name === 'quorum-recreate' && args.length > 0 && args.length % 3 === 0) {
      const dirs: RecreateDir[] = [];
      for (let i = 0; i < args.length; i += 3) {
        const mode = parseOctal(args[i + 1]);
        if (mode === null) return null;
        dirs.push({ path: args[i]!, mode, owner: args[i + 2]! });
      }
      return { kind: 'recreate-dirs', dirs };
    }
    if (script === MONGORESTORE_SCRIPT && name === 'quorum-mongorestore') {
      const oplogReplay = args[2] === '--oplogReplay';
      const rest = args.slice(oplogReplay ? 3 : 2);
      if (!eq(args.slice(0, 2), ['--drop', '--journal']) || rest.length !== 3 || rest[0] !== '--dbpath') return null;
      return { kind: 'mongorestore', dbpath: rest[1]!, dump: rest[2]!, oplogReplay };
    }
    if (script === PROBE_SCRIPT && name === 'quorum-probe' && args.length === 1) return { kind: 'restore-probe', dataDir: args[0]! };
    return null;
  }
  if (w.length === 8 && eq(w.slice(2, 4), ['mkdir', '-p']) && w[4] === '-m' && w[6] === '--') {
    const mode = parseOctal(w[5]);
    return mode === null ? null : { kind: 'make-dir', path: w[7]!, mode };
  }
  if (w.length === 6 && eq(w.slice(2, 5), ['rm', '-rf', '--'])) return { kind: 'remove-staging', path: w[5]! };
  if (w.length === 7 && w[2] === 'tar' && w[3] === '-C' && (w[5] === '-xpf' || w[5] === '-xpzf')) {
    return { kind: 'extract-tar', dir: w[4]!, archive: w[6]!, gzip: w[5] === '-xpzf' };
  }
  if (w.length === 7 && eq(w.slice(2, 6), ['du', '-s', '-B1', '--'])) return { kind: 'disk-usage', path: w[6]! };
  return null;
}

/**
 * Whether Juju 1.25 restores a backup of `version` with `--oplogReplay`
 * (`mongoRestoreArgsForVersion`, state/backups/db.go): 1.x with minor ≥ 22
 * yes, older 1.x no; anything else (2.x, or `9999.9999.9999` when the
 * archive had no metadata.json) is refused as Juju refuses it.
 */
export function mongorestoreOplogReplay(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  if (!m || Number(m[1]) !== 1) throw new RangeError('cannot restore this backup version');
  return Number(m[2]) >= 22;
}

/** Bytes from `du -s -B1` output. */
export function parseDiskUsage(stdout: string): number {
  const m = /^(\d+)\s/.exec(stdout);
  if (!m) throw new Error('unrecognised du output');
  return Number(m[1]);
}

export interface RestoreProbe {
  /** One per `tools/<x>/downloaded-tools.txt`; version null when the file is not Juju's JSON. */
  readonly tools: ReadonlyArray<{ readonly path: string; readonly version: string | null }>;
  /** The mongorestore Juju would run, or null when none is installed. */
  readonly mongorestore: { readonly path: string; readonly version: string } | null;
}

export function parseRestoreProbe(stdout: string): RestoreProbe {
  const tools: { path: string; version: string | null }[] = [];
  let path: string | null = null;
  let version = '';
  for (const line of stdout.split('\n')) {
    if (line.startsWith('tools ')) {
      const rest = line.slice(6);
      const space = rest.indexOf(' ');
      const file = space < 0 ? rest : rest.slice(0, space);
      let v: string | null = null;
      try {
        const parsed = JSON.parse(rest.slice(space + 1)) as { version?: unknown };
        v = typeof parsed.version === 'string' ? parsed.version : null;
      } catch {
        v = null;
      }
      tools.push({ path: file, version: v });
    } else if (line.startsWith('mongorestore ')) {
      path = line.slice('mongorestore '.length);
    } else if (line.startsWith('mongorestore-version ')) {
      version = line.slice('mongorestore-version '.length).trim();
    }
  }
  return { tools, mongorestore: path ? { path, version } : null };
}
