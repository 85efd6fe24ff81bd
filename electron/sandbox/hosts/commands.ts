import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { parseRemoteCommand, type RemoteCommand } from '../../../shared/remote-commands';
import { assertNever } from '../../../shared/errors';
import { upstartJobOf } from '../../../shared/juju/upstart-job';
import { ConfinedFs, PathEscapeError } from './confined-fs';
import { globInTree } from './glob';
import type { MachineServices } from './services';
import { runRestoreCommand } from './restore-commands';

/**
 * Runs Quorum's remote command set against one machine's tree, answering the
 * way the real commands (`cat`, `tar`, `service`, `df`, `sh`) answer on a
 * trusty host: same stdout, similar stderr, same exit codes. Anything outside
 * the set exits 127, as a shell does for a command it cannot find.
 */

export interface CommandIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface CommandContext {
  readonly fs: ConfinedFs;
  readonly services: MachineServices;
  /**
   * Where this machine's juju-db member keeps its files (what `/var/lib/juju/db`
   * stands for: recreate-dirs and mongorestore act on it). Default: derived
   * from the tree's place in SandboxLayout (`<sandbox>/juju-db/machine-<id>`).
   */
  readonly jujuDbDir?: string;
  /** Fault control: the bytes this machine's disk has left, when capped (SandboxControl.setDiskFree). */
  readonly diskFree?: () => number | null;
}

/** One GNU tar record of zeros: what `tar -cf -` writes when none of its paths exist. */
const EMPTY_TAR = Buffer.alloc(10_240);

export async function runCommandLine(line: string, ctx: CommandContext, io: CommandIo): Promise<number> {
  const cmd = parseRemoteCommand(line);
  if (!cmd) {
    const word = line.trim().split(/\s+/)[0] ?? '';
    io.stderr.write(`sh: 1: ${word || 'exec'}: not found (this host accepts only Quorum's remote command set)\n`);
    return 127;
  }
  return runCommand(cmd, ctx, io);
}

export async function runCommand(cmd: RemoteCommand, ctx: CommandContext, io: CommandIo): Promise<number> {
  switch (cmd.kind) {
    case 'read-file':
      return readFile(cmd.path, ctx.fs, io);
    case 'write-file': {
      const code = await writeFile(cmd.path, cmd.mode, ctx.fs, io);
      // upstart watches /etc/init: a new agent job file makes the job known (stopped until started).
      const job = code === 0 ? upstartJobOf(cmd.path) : null;
      if (job !== null) ctx.services.addAgent(job, false);
      return code;
    }
    case 'tar-out':
      return tarOut(cmd.paths, ctx.fs, io);
    case 'tar-in':
      return tarIn(ctx.fs, io);
    case 'service': {
      const r = await ctx.services.run(cmd.service, cmd.action);
      io.stdout.write(r.stdout);
      io.stderr.write(r.stderr);
      return r.exitCode;
    }
    case 'glob': {
      const matches = await globInTree(cmd.pattern, ctx.fs);
      if (matches.length) io.stdout.write(`${matches.join('\n')}\n`);
      return 0;
    }
    case 'free-space':
      return freeSpace(cmd.path, ctx.fs, io, ctx.diskFree?.() ?? null);
    case 'upload-file':
    case 'make-dir':
    case 'remove-staging':
    case 'recreate-dirs':
    case 'extract-tar':
    case 'mongorestore':
    case 'disk-usage':
    case 'restore-probe':
      return runRestoreCommand(cmd, ctx, io);
    default:
      return assertNever(cmd, 'remote command');
  }
}

export function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ELOOP: 'Too many levels of symbolic links',
  ENOSPC: 'No space left on device',
};

/** `<tool>: <path>: <reason>` as coreutils prints it. */
export function failure(io: CommandIo, tool: string, remotePath: string, err: unknown): number {
  if (err instanceof PathEscapeError) {
    io.stderr.write(`${tool}: ${err.message}\n`);
    return 1;
  }
  const code = errno(err);
  io.stderr.write(`${tool}: ${remotePath}: ${(code && ERRNO_TEXT[code]) || 'Input/output error'}\n`);
  return 1;
}

async function readFile(remotePath: string, cfs: ConfinedFs, io: CommandIo): Promise<number> {
  try {
    const host = await cfs.resolve(remotePath);
    const st = await fs.stat(host);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    await pipeline(createReadStream(host), io.stdout, { end: false });
    return 0;
  } catch (err) {
    return failure(io, 'cat', remotePath, err);
  }
}

/** temp file beside the target, chmod, rename: readers never see a half-written file. */
async function writeFile(remotePath: string, mode: number, cfs: ConfinedFs, io: CommandIo): Promise<number> {
  let host: string;
  try {
    host = await cfs.resolve(remotePath, 'nofollow');
  } catch (err) {
    return failure(io, 'sh', remotePath, err);
  }
  const dir = path.dirname(host);
  const tmp = path.join(dir, `.quorum-write.${randomBytes(4).toString('base64url').slice(0, 6)}`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(tmp, 'wx', 0o600);
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') {
      io.stderr.write(`mktemp: failed to create file via template '${path.posix.dirname(remotePath)}/.quorum-write.XXXXXX': No such file or directory\n`);
      return 1;
    }
    return failure(io, 'mktemp', remotePath, err);
  }
  try {
    await drainInto(io.stdin, handle.createWriteStream());
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, host);
    return 0;
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    return failure(io, 'mv', remotePath, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * stdin → sink without `pipeline`'s habit of destroying the source on a
 * sink error: the source is the SSH channel, which must survive to carry
 * the exit status. After a sink error the rest of stdin is drained.
 */
export function drainInto(source: Readable, sink: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      source.unpipe(sink);
      source.resume();
      reject(err);
    };
    sink.once('error', fail);
    source.once('error', fail);
    source.once('close', () => {
      if (!source.readableEnded) fail(Object.assign(new Error('input closed before its end'), { code: 'EPIPE' }));
    });
    sink.once('finish', () => {
      if (done) return;
      done = true;
      resolve();
    });
    source.pipe(sink);
  });
}

async function tarOut(paths: readonly string[], cfs: ConfinedFs, io: CommandIo): Promise<number> {
  const members: string[] = [];
  for (const p of paths) {
    const rel = p.replace(/^\/+/, '');
    try {
      const host = await cfs.resolve(p, 'nofollow');
      await fs.lstat(host);
      members.push(rel);
    } catch (err) {
      if (err instanceof PathEscapeError) {
        io.stderr.write(`tar: ${rel}: Cannot open: Permission denied (outside the machine's filesystem)\n`);
        return 2;
      }
      // --ignore-failed-read: a warning, not a failure.
      io.stderr.write(`tar: ${rel}: Warning: Cannot stat: ${ERRNO_TEXT[errno(err) ?? ''] ?? 'Input/output error'}\n`);
    }
  }
  if (members.length === 0) {
    io.stdout.write(EMPTY_TAR);
    return 0;
  }
  try {
    // node-tar walks directories with lstat and never follows symlinks, so links are archived as links.
    const pack = tar.c({ cwd: await cfs.realRoot(), portable: false }, members);
    await pipeline(pack, io.stdout, { end: false });
    return 0;
  } catch (err) {
    io.stderr.write(`tar: ${(err as Error).message}\n`);
    return 2;
  }
}

/**
 * Extraction relies on node-tar's defaults, which keep everything inside
 * `cwd`: leading `/` stripped, `..` members skipped, no extraction through
 * symlinks, hard links that escape refused. A refused member makes the exit
 * status 2, as GNU tar's does.
 */
async function tarIn(cfs: ConfinedFs, io: CommandIo): Promise<number> {
  let failed = false;
  const root = await cfs.realRoot();
  const unpack = tar.x({
    cwd: root,
    preserveOwner: false,
    onwarn: (code: string, message: string) => {
      if (code === 'TAR_ENTRY_INFO') {
        io.stderr.write(`tar: ${message}\n`);
      } else {
        failed = true;
        io.stderr.write(`tar: ${message}\n`);
      }
    },
  });
  try {
    await drainInto(io.stdin, unpack as unknown as Writable);
  } catch (err) {
    io.stderr.write(`tar: ${(err as Error).message}\n`);
    return 2;
  }
  if (failed) io.stderr.write('tar: Exiting with failure status due to previous errors\n');
  return failed ? 2 : 0;
}

async function freeSpace(remotePath: string, cfs: ConfinedFs, io: CommandIo, cap: number | null): Promise<number> {
  try {
    const host = await cfs.resolve(remotePath);
    await fs.stat(host);
    const s = await fs.statfs(host);
    const total = s.blocks * s.bsize;
    const used = (s.blocks - s.bfree) * s.bsize;
    const avail = cap === null ? s.bavail * s.bsize : Math.min(cap, s.bavail * s.bsize);
    const capacity = used + avail === 0 ? 0 : Math.ceil((used * 100) / (used + avail));
    const row = ['/dev/vda1', String(total), String(used), String(avail), `${capacity}%`, '/'];
    io.stdout.write(`${formatDf([['Filesystem', '1-blocks', 'Used', 'Available', 'Capacity', 'Mounted on'], row])}`);
    return 0;
  } catch (err) {
    if (err instanceof PathEscapeError) return failure(io, 'df', remotePath, err);
    io.stderr.write(`df: '${remotePath}': ${ERRNO_TEXT[errno(err) ?? ''] ?? 'Input/output error'}\n`);
    return 1;
  }
}

function formatDf(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(i === r.length - 1 ? 0 : widths[i]!) : cell.padStart(widths[i]!)))
        .join(' '),
    )
    .join('\n')
    .concat('\n');
}
