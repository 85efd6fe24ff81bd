import { Duplex, pipeline, Readable, Transform } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { assertNever, QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';
import { renderRemoteCommand, type RemoteCommand } from '../../../shared/remote-commands';
import { connectionLost, describePeer, type SshPeer } from './ssh-errors';

/**
 * Exec of one command from the remote set over an SSH channel. Streaming:
 * stdout is the channel itself, so a slow consumer slows the remote side
 * (ssh2 only grows the window as data is read) and a multi-gigabyte tar runs
 * in flat memory. stderr is always drained (a full stderr window would stall
 * the command) and kept up to a small cap for messages.
 */

export interface ExecOptions {
  /** Piped to the command's stdin, then EOF; without it stdin is closed at once. */
  readonly stdin?: Readable;
  /** Aborting closes the channel; `exit` rejects with `cancelled` and stdout is destroyed. */
  readonly signal?: AbortSignal;
}

export interface ExecExit {
  /** Exit status; null when the command died from a signal. */
  readonly code: number | null;
  readonly signal: string | null;
  /** The start of stderr (up to 64 KiB), secrets redacted. */
  readonly stderr: string;
}

export interface ExecHandle {
  readonly stdout: Readable;
  /** Resolves when the channel closes (after stdout has been read to its end). */
  readonly exit: Promise<ExecExit>;
}

export interface RunOptions {
  /** Content for stdin (e.g. write-file). */
  readonly stdin?: Readable | Buffer | string;
  readonly signal?: AbortSignal;
  /** Largest stdout accepted (default 16 MiB); more fails the call rather than filling memory. */
  readonly maxBytes?: number;
}

export interface ExecTransport {
  readonly peer: SshPeer;
  readonly secrets: SecretRegistry;
  /**
   * Opens an exec channel. `prepare` runs synchronously when the channel
   * exists, before any later packet is processed: the exit status can arrive
   * in the same TCP segment as the channel confirmation, and an `exit`
   * listener attached after an `await` would miss it.
   */
  openExec(line: string, prepare: (channel: ClientChannel) => void): Promise<ClientChannel>;
}

const STDERR_CAP = 64 * 1024;
const DEFAULT_RUN_CAP = 16 * 1024 * 1024;

export function cancelledError(peer: SshPeer, command: RemoteCommand): QuorumError {
  return new QuorumError('cancelled', `The ${command.kind} command on ${peer.address} was cancelled.`, {
    details: { address: peer.address, command: command.kind },
  });
}

export async function execRemote(transport: ExecTransport, command: RemoteCommand, options: ExecOptions = {}): Promise<ExecHandle> {
  const { peer, secrets } = transport;
  const line = renderRemoteCommand(command);
  if (options.signal?.aborted) throw cancelledError(peer, command);
  let stderr = '';
  let code: number | null | undefined;
  let exitSignal: string | null = null;
  let failure: QuorumError | undefined;
  let closed!: Promise<void>;
  const channel = await transport.openExec(line, (ch) => {
    ch.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_CAP) stderr += chunk.toString('utf8', 0, Math.min(chunk.length, STDERR_CAP - stderr.length));
    });
    ch.on('error', () => undefined);
    ch.on('exit', (c: number | null, s?: string) => {
      code = c;
      exitSignal = s ?? null;
    });
    closed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
  });

  let settle!: { resolve: (exit: ExecExit) => void; reject: (error: QuorumError) => void };
  const exit = new Promise<ExecExit>((resolve, reject) => (settle = { resolve, reject }));
  // A consumer that only reads stdout must not crash the process on rejection.
  exit.catch(() => undefined);

  /*
   * stdout is the channel seen through a pass-through whose end waits for the
   * channel to close: it ends cleanly only when the command exited 0, and
   * errors when the command failed, was cancelled or the connection dropped.
   * A consumer piping it into a file therefore never takes a truncated
   * stream for a complete one. Backpressure still reaches the remote side.
   */
  const stdout = new Transform({
    transform: (chunk: Buffer, _enc, cb) => cb(null, chunk),
    flush: (cb) => {
      void closed.then(() => {
        const outcome = finish();
        cb(outcome instanceof QuorumError ? outcome : null);
      });
    },
  });

  // `exit` is the authoritative outcome; a reader that only drains stdout must not crash on its error.
  stdout.on('error', () => undefined);

  const finish = (): QuorumError | ExecExit => {
    options.signal?.removeEventListener('abort', onAbort);
    if (failure) return failure;
    if (code === undefined && exitSignal === null) return (failure = connectionLost(peer));
    const result: ExecExit = { code: code ?? null, signal: exitSignal, stderr: secrets.redact(stderr) };
    if (result.code !== 0) failure = commandFailed(peer, command, result);
    return result;
  };
  void closed.then(() => {
    const outcome = finish();
    if (outcome instanceof QuorumError && outcome.code !== 'remote-command-failed') settle.reject(outcome);
    else if (!(outcome instanceof QuorumError)) settle.resolve(outcome);
    else settle.resolve({ code: code ?? null, signal: exitSignal, stderr: secrets.redact(stderr) });
  });

  const abortWith = (error: QuorumError): void => {
    if (failure) return;
    failure = error;
    settle.reject(error);
    // ssh2's own destroy() only ends and closes the channel; destroy the streams too so readers see the error.
    channel.close();
    Duplex.prototype.destroy.call(channel);
    stdout.destroy(error);
    options.stdin?.destroy();
  };
  const onAbort = (): void => abortWith(cancelledError(peer, command));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  stdout.on('close', () => {
    // The consumer gave up on stdout before the end: stop the command.
    if (!stdout.readableEnded && !failure) abortWith(cancelledError(peer, command));
  });

  channel.pipe(stdout);
  if (options.stdin) {
    pipeline(options.stdin, channel, (error) => {
      if (error && !failure && code === undefined) {
        abortWith(
          new QuorumError('remote-command-failed', `Sending data to ${command.kind} on ${describePeer(peer)} failed: ${secrets.redact(error.message)}.`, {
            details: { address: peer.address, command: command.kind },
            cause: error,
          }),
        );
      }
    });
  } else {
    channel.end();
  }
  return { stdout, exit };
}

/**
 * Runs a command with small output and returns stdout. A non-zero exit is
 * `remote-command-failed`, with the start of stderr (redacted) in the message.
 */
export async function runRemote(transport: ExecTransport, command: RemoteCommand, options: RunOptions = {}): Promise<Buffer> {
  const { peer } = transport;
  const stdin =
    options.stdin === undefined ? undefined : options.stdin instanceof Readable ? options.stdin : Readable.from([Buffer.from(options.stdin)]);
  const local = new AbortController();
  const onOuterAbort = (): void => local.abort();
  if (options.signal?.aborted) throw cancelledError(peer, command);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const handle = await execRemote(transport, command, { stdin, signal: local.signal });
    const cap = options.maxBytes ?? DEFAULT_RUN_CAP;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    try {
      for await (const chunk of handle.stdout as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > cap) {
          tooLarge = true;
          local.abort();
          break;
        }
        chunks.push(chunk);
      }
    } catch {
      // The reason (cancel, lost connection) comes from `exit` below.
    }
    if (tooLarge) {
      throw new QuorumError(
        'remote-command-failed',
        `The output of ${command.kind} on ${peer.address} is larger than ${cap} bytes, more than Quorum reads into memory. Use a streaming operation instead.`,
        { details: { address: peer.address, command: command.kind } },
      );
    }
    const result = await handle.exit;
    if (result.code !== 0) throw commandFailed(peer, command, result);
    return Buffer.concat(chunks, size);
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** The operator-facing error for a non-zero exit, with hints for the usual causes. */
export function commandFailed(peer: SshPeer, command: RemoteCommand, result: ExecExit): QuorumError {
  const excerpt = result.stderr.trim().split('\n').slice(-5).join(' | ').slice(0, 500);
  const status = result.code === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with status ${result.code}`;
  let hint = 'Check the machine, then retry.';
  if (/password is required|no tty present|a terminal is required/i.test(result.stderr)) {
    hint = `The user ${peer.username} needs passwordless sudo on the machine (Juju's ubuntu user has it).`;
  } else if (result.code === 127) {
    hint = 'The command is missing on the machine, or the host does not implement it.';
  } else if (/No such file|cannot access|not found/i.test(result.stderr)) {
    hint = 'A file Quorum expected is missing on the machine; check that Juju is installed there.';
  } else if (/No space left/i.test(result.stderr)) {
    hint = 'The machine is out of disk space; free some and retry.';
  }
  return new QuorumError(
    'remote-command-failed',
    `${describeCommand(command)} on ${describePeer(peer)} ${status}${excerpt ? `: ${excerpt}` : ''}. ${hint}`,
    { details: { address: peer.address, command: command.kind, exitCode: result.code, stderr: excerpt || null } },
  );
}

function describeCommand(command: RemoteCommand): string {
  switch (command.kind) {
    case 'read-file':
    case 'write-file':
    case 'free-space':
      return `${command.kind} ${command.path}`;
    case 'glob':
      return `glob ${command.pattern}`;
    case 'tar-out':
      return `tar-out of ${command.paths.length} path(s)`;
    case 'tar-in':
      return 'tar-in';
    case 'service':
      return `service ${command.service} ${command.action}`;
    case 'upload-file':
    case 'make-dir':
    case 'remove-staging':
    case 'disk-usage':
      return `${command.kind} ${command.path}`;
    case 'recreate-dirs':
      return `recreate-dirs ${command.dirs.map((d) => d.path).join(', ')}`;
    case 'extract-tar':
      return `extract-tar of ${command.archive} into ${command.dir}`;
    case 'mongorestore':
      return `mongorestore of ${command.dump}${command.oplogReplay ? ' (with --oplogReplay)' : ''}`;
    case 'restore-probe':
      return `restore-probe of ${command.dataDir}`;
    default:
      return assertNever(command, 'remote command');
  }
}
