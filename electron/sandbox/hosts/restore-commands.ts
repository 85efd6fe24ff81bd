import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import * as tar from 'tar';
import { assertNever } from '../../../shared/errors';
import { MONGORESTORE_PATH, type RecreateDir, type RestoreCommand } from '../../../shared/remote-commands';
import { DEFAULT_OPLOG_BYTES } from '../juju-db/cluster';
import { RestoreError } from '../juju-db/restore/dump-files';
import { coversDbPath, JUJU_DB_PATH, memberDirForTree, wipeMemberDir } from '../juju-db/restore/member-dir';
import { mongorestore } from '../juju-db/restore/mongorestore';
import { drainInto, ERRNO_TEXT, errno, failure, type CommandContext, type CommandIo } from './commands';
import { PathEscapeError } from './confined-fs';
import { globInTree } from './glob';

/**
 * The restore commands on a sandbox machine, answering as their shell lines
 * answer on a trusty state server. Where `/var/lib/juju/db` is concerned
 * (recreate-dirs, mongorestore) they act on the machine's juju-db member,
 * whose files live outside the tree (see juju-db/restore/member-dir.ts).
 */

/** What the sandbox's offline mongorestore reports as its version: the juju-mongodb 2.4 tools' (its interface is 2.4's). */
const MONGORESTORE_VERSION = 'mongorestore version 2.4.9';

export async function runRestoreCommand(cmd: RestoreCommand, ctx: CommandContext, io: CommandIo): Promise<number> {
  switch (cmd.kind) {
    case 'upload-file':
      return upload(cmd.path, cmd.mode, cmd.size, cmd.sha1, ctx, io);
    case 'make-dir':
      return makeDir(cmd.path, cmd.mode, ctx, io);
    case 'remove-staging':
      try {
        await fs.rm(await ctx.fs.resolve(cmd.path, 'nofollow'), { recursive: true, force: true });
        return 0;
      } catch (err) {
        return failure(io, 'rm', cmd.path, err);
      }
    case 'recreate-dirs':
      return recreate(cmd.dirs, ctx, io);
    case 'extract-tar':
      return extract(cmd.archive, cmd.dir, cmd.gzip, ctx, io);
    case 'mongorestore':
      return restore(cmd.dbpath, cmd.dump, cmd.oplogReplay, ctx, io);
    case 'disk-usage':
      return diskUsage(cmd.path, ctx, io);
    case 'restore-probe':
      return probe(cmd.dataDir, ctx, io);
    default:
      return assertNever(cmd, 'restore command');
  }
}

function memberDir(ctx: CommandContext): string | null {
  return ctx.jujuDbDir ?? memberDirForTree(ctx.fs.root);
}

async function upload(remotePath: string, mode: number, size: number, sha1: string | undefined, ctx: CommandContext, io: CommandIo): Promise<number> {
  let host: string;
  try {
    host = await ctx.fs.resolve(remotePath, 'nofollow');
  } catch (err) {
    io.stdin.resume();
    return failure(io, 'sh', remotePath, err);
  }
  const tmp = path.join(path.dirname(host), `.quorum-upload.${randomBytes(4).toString('base64url').slice(0, 6)}`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(tmp, 'wx', 0o600);
  } catch (err) {
    io.stdin.resume();
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') {
      io.stderr.write(`mktemp: failed to create file via template '${path.posix.dirname(remotePath)}/.quorum-upload.XXXXXX': No such file or directory\n`);
      return 1;
    }
    return failure(io, 'mktemp', remotePath, err);
  }
  const hash = createHash('sha1');
  let received = 0;
  const cap = ctx.diskFree?.() ?? null;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      if (cap !== null && received > cap) {
        cb(new UploadMismatch(`cat: write error: No space left on device`));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    const file = handle.createWriteStream();
    count.pipe(file);
    await drainInto(io.stdin, count);
    await finished(file);
    if (received !== size) throw new UploadMismatch(`upload: received ${received} bytes, expected ${size}`);
    const digest = hash.digest('hex');
    if (sha1 !== undefined && digest !== sha1) throw new UploadMismatch(`upload: SHA-1 ${digest}, expected ${sha1}`);
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, host);
    return 0;
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    if (err instanceof UploadMismatch) {
      io.stderr.write(`${err.message}\n`);
      return 1;
    }
    return failure(io, 'mv', remotePath, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

class UploadMismatch extends Error {}

async function makeDir(remotePath: string, mode: number, ctx: CommandContext, io: CommandIo): Promise<number> {
  try {
    const host = await ctx.fs.resolve(remotePath);
    await fs.mkdir(host, { recursive: true });
    if (!(await fs.stat(host)).isDirectory()) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    await fs.chmod(host, mode);
    return 0;
  } catch (err) {
    if (err instanceof PathEscapeError) return failure(io, 'mkdir', remotePath, err);
    const reason = errno(err) === 'EEXIST' ? 'File exists' : (ERRNO_TEXT[errno(err) ?? ''] ?? 'Input/output error');
    io.stderr.write(`mkdir: cannot create directory '${remotePath}': ${reason}\n`);
    return 1;
  }
}

async function recreate(dirs: readonly RecreateDir[], ctx: CommandContext, io: CommandIo): Promise<number> {
  const wipesDb = ctx.services.hasJujuDb && dirs.some((d) => coversDbPath(d.path));
  if (wipesDb && ctx.services.isRunning('juju-db')) {
    // A real `rm -rf` would pull the files from under a running mongod; the sandbox refuses instead.
    const d = dirs.find((x) => coversDbPath(x.path))!;
    io.stderr.write(`rm: cannot remove '${d.path}': Device or resource busy (juju-db is running; stop it first)\n`);
    return 1;
  }
  const release = wipesDb ? ctx.services.lockDbPath('recreate-dirs') : null;
  try {
    for (const d of dirs) {
      let host: string;
      try {
        host = await ctx.fs.resolve(d.path, 'nofollow');
      } catch (err) {
        return failure(io, 'rm', d.path, err);
      }
      await fs.rm(host, { recursive: true, force: true });
      try {
        await fs.mkdir(host, { recursive: true });
        await fs.chmod(host, d.mode);
      } catch (err) {
        io.stderr.write(`mkdir: cannot create directory '${d.path}': ${ERRNO_TEXT[errno(err) ?? ''] ?? 'Input/output error'}\n`);
        return 1;
      }
      // chown: every file of the sandbox belongs to the sandbox's own user.
      if (ctx.services.hasJujuDb && coversDbPath(d.path)) {
        const dir = memberDir(ctx);
        if (dir) await wipeMemberDir(dir);
      }
    }
    return 0;
  } finally {
    release?.();
  }
}

async function extract(archive: string, dir: string, gzip: boolean, ctx: CommandContext, io: CommandIo): Promise<number> {
  let file: string;
  let cwd: string;
  try {
    file = await ctx.fs.resolve(archive);
    if (!(await fs.stat(file)).isFile()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
  } catch (err) {
    if (err instanceof PathEscapeError) return failure(io, 'tar', archive, err) && 2;
    io.stderr.write(`tar: ${archive}: Cannot open: ${ERRNO_TEXT[errno(err) ?? ''] ?? 'Input/output error'}\ntar: Error is not recoverable: exiting now\n`);
    return 2;
  }
  try {
    cwd = await ctx.fs.resolve(dir);
    if (!(await fs.stat(cwd)).isDirectory()) throw Object.assign(new Error('not dir'), { code: 'ENOTDIR' });
  } catch (err) {
    if (err instanceof PathEscapeError) return failure(io, 'tar', dir, err) && 2;
    io.stderr.write(`tar: ${dir}: Cannot open: ${ERRNO_TEXT[errno(err) ?? ''] ?? 'Input/output error'}\ntar: Error is not recoverable: exiting now\n`);
    return 2;
  }
  const head = Buffer.alloc(2);
  const fh = await fs.open(file, 'r');
  await fh.read(head, 0, 2, 0).finally(() => fh.close());
  if (gzip && !(head[0] === 0x1f && head[1] === 0x8b)) {
    io.stderr.write('gzip: stdin: not in gzip format\ntar: Child returned status 1\ntar: Error is not recoverable: exiting now\n');
    return 2;
  }
  let failed = false;
  try {
    // node-tar keeps everything under cwd: leading `/` stripped, `..` skipped, nothing written through symlinks.
    await tar.x({
      file,
      cwd,
      preserveOwner: false,
      onwarn: (code: string, message: string) => {
        if (code !== 'TAR_ENTRY_INFO') failed = true;
        io.stderr.write(`tar: ${message}\n`);
      },
    });
  } catch (err) {
    io.stderr.write(`tar: ${(err as Error).message}\ntar: Error is not recoverable: exiting now\n`);
    return 2;
  }
  if (failed) io.stderr.write('tar: Exiting with failure status due to previous errors\n');
  return failed ? 2 : 0;
}

async function restore(dbpath: string, dump: string, oplogReplay: boolean, ctx: CommandContext, io: CommandIo): Promise<number> {
  if (!ctx.services.hasJujuDb) {
    io.stderr.write('sh: 1: exec: mongorestore: not found\n');
    return 127;
  }
  const dir = memberDir(ctx);
  if (dbpath !== JUJU_DB_PATH || !dir) {
    io.stderr.write(`ERROR: --dbpath ${dbpath}: this machine's juju-db keeps its data files in ${JUJU_DB_PATH}\n`);
    return 1;
  }
  let dumpDir: string;
  try {
    const tree = await ctx.fs.resolve(dbpath);
    if (!(await fs.stat(tree)).isDirectory()) throw new Error('not a directory');
    dumpDir = await ctx.fs.resolve(dump);
  } catch {
    io.stderr.write(`ERROR: dbpath (${dbpath}) does not exist\n`);
    return 1;
  }
  const release = ctx.services.lockDbPath('mongorestore');
  if (!release) {
    io.stderr.write(
      `ERROR: Unable to lock file: ${dbpath}/mongod.lock. Is a mongod instance already running?\n` +
        'If you are running a mongod on the same path you should connect to that instead of direct data file access\n',
    );
    return 1;
  }
  try {
    io.stdout.write(`connected to: ${dbpath} (offline, ${MONGORESTORE_PATH})\n`);
    await mongorestore({
      memberDir: dir,
      dumpDir,
      remoteDump: dump,
      oplogReplay,
      drop: true,
      oplogMaxBytes: DEFAULT_OPLOG_BYTES,
      log: (line) => io.stdout.write(`${line}\n`),
    });
    return 0;
  } catch (err) {
    io.stderr.write(err instanceof RestoreError ? `ERROR: ${err.message}\n` : `assertion: ${(err as Error).message}\n`);
    return 1;
  } finally {
    release();
  }
}

async function diskUsage(remotePath: string, ctx: CommandContext, io: CommandIo): Promise<number> {
  let host: string;
  try {
    host = await ctx.fs.resolve(remotePath);
    await fs.lstat(host);
  } catch (err) {
    if (err instanceof PathEscapeError) return failure(io, 'du', remotePath, err);
    io.stderr.write(`du: cannot access '${remotePath}': ${ERRNO_TEXT[errno(err) ?? ''] ?? 'Input/output error'}\n`);
    return 1;
  }
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p);
    total += st.blocks * 512;
    if (st.isDirectory()) for (const name of await fs.readdir(p)) await walk(path.join(p, name));
  };
  await walk(host);
  io.stdout.write(`${total}\t${remotePath}\n`);
  return 0;
}

async function probe(dataDir: string, ctx: CommandContext, io: CommandIo): Promise<number> {
  for (const file of await globInTree(`${dataDir.replace(/\/+$/, '')}/tools/*/downloaded-tools.txt`, ctx.fs)) {
    try {
      const text = await fs.readFile(await ctx.fs.resolve(file), 'utf8');
      io.stdout.write(`tools ${file} ${text.replace(/\n/g, '')}\n`);
    } catch {
      /* `[ -f ]` failed: not listed */
    }
  }
  if (ctx.services.hasJujuDb) io.stdout.write(`mongorestore ${MONGORESTORE_PATH}\nmongorestore-version ${MONGORESTORE_VERSION}\n`);
  return 0;
}
