import { EventEmitter } from 'node:events';
import ssh2, { type AuthenticationType, type AuthHandlerMiddleware, type Client, type ClientChannel, type ParsedKey } from 'ssh2';
import type { Duplex } from 'node:stream';
import { QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';
import type { RemoteCommand } from '../../../shared/remote-commands';
import type { Logger } from '../log';
import { describeHostKey, verifyHostKey } from './host-key-check';
import type { KnownHostsStore } from './known-hosts-store';
import { connectionLost, translateConnectError, type SshPeer } from './ssh-errors';
import { execRemote, runRemote, type ExecHandle, type ExecOptions, type ExecTransport, type RunOptions } from './exec';

/**
 * One SSH connection to one machine, over ssh2: public-key auth with the
 * environment's key, host keys checked against Quorum's known_hosts, keepalive
 * so a dead peer is noticed, exec of the remote command set with streaming and
 * cancellation, and `direct-tcpip` tunnels (to juju-db on 127.0.0.1:37017).
 *
 * Reconnection is not this class's job: it emits `close` once, and the
 * connection manager decides whether and when to dial again.
 */

export interface SshClientOptions {
  readonly peer: SshPeer;
  /** The parsed private key (see `loadPrivateKey`): parsed once, so a passphrase is never handed to ssh2. */
  readonly privateKey: ParsedKey;
  readonly knownHosts: KnownHostsStore;
  /** Fingerprint vouched for out of band (sandbox), trusted on first sight. */
  readonly vouchedFingerprint?: string | null;
  readonly secrets: SecretRegistry;
  readonly logger?: Logger;
  /** Time allowed for TCP connect + handshake + auth (default 10 s). */
  readonly readyTimeoutMs?: number;
  /** Keepalive probe interval (default 5 s); the connection is dropped after 3 unanswered probes. */
  readonly keepaliveIntervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface SshClientEvents {
  /** The connection ended; `error` is set when it was not closed on purpose. */
  close: [error: QuorumError | null];
}

export class SshClient extends EventEmitter<SshClientEvents> {
  readonly peer: SshPeer;
  /** The host key the server presented, once verified. */
  readonly hostFingerprint: string;
  readonly #client: Client;
  readonly #secrets: SecretRegistry;
  #closed = false;
  #closing = false;

  private constructor(client: Client, peer: SshPeer, hostFingerprint: string, secrets: SecretRegistry) {
    super();
    this.#client = client;
    this.peer = peer;
    this.hostFingerprint = hostFingerprint;
    this.#secrets = secrets;
  }

  /** Dials, verifies the host key and authenticates; rejects with a translated QuorumError. */
  static connect(options: SshClientOptions): Promise<SshClient> {
    const { peer, secrets } = options;
    const client = new ssh2.Client();
    let hostKeyError: QuorumError | undefined;
    let fingerprint = '';
    return new Promise<SshClient>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        client.removeAllListeners('ready');
        client.on('error', () => undefined);
        client.end();
        client.destroy();
        reject(translateConnectError(error, peer, secrets, hostKeyError));
      };
      const onAbort = (): void => fail(new QuorumError('cancelled', `Connecting to ${peer.address} was cancelled.`));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });

      client.once('error', fail);
      client.once('close', () => fail(new Error('connection closed before authentication')));
      client.once('ready', () => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        client.removeAllListeners('error');
        client.removeAllListeners('close');
        const ssh = new SshClient(client, peer, fingerprint, secrets);
        ssh.#watch(options.logger);
        resolve(ssh);
      });
      try {
        client.connect({
          host: peer.host,
          port: peer.port,
          username: peer.username,
          // The key is offered through authHandler because ssh2's `privateKey`
          // option only takes text, which would hand it the passphrase too.
          authHandler: publicKeyOnly(peer.username, options.privateKey),
          readyTimeout: options.readyTimeoutMs ?? 10_000,
          keepaliveInterval: options.keepaliveIntervalMs ?? 5_000,
          keepaliveCountMax: 3,
          hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
            // The verdict comes back asynchronously (known_hosts is read from disk); by then the
            // connection may be gone (a machine power-cycled mid-handshake). ssh2 cannot take an
            // answer on a torn-down connection (it throws), and there is nobody left to tell.
            const answer = (valid: boolean): void => {
              if (settled) return;
              try {
                verify(valid);
              } catch (error) {
                fail(error);
              }
            };
            let presented;
            try {
              presented = describeHostKey(key);
            } catch (error) {
              hostKeyError = new QuorumError('host-unreachable', `${peer.address} presented a malformed SSH host key.`, { cause: error });
              answer(false);
              return;
            }
            fingerprint = presented.fingerprint;
            verifyHostKey(options.knownHosts, peer, presented, options.vouchedFingerprint ?? null).then(
              () => answer(true),
              (error: unknown) => {
                hostKeyError =
                  error instanceof QuorumError
                    ? error
                    : new QuorumError('internal', `Quorum could not check the host key of ${peer.address}: the known_hosts file could not be read or written.`, {
                        cause: error,
                      });
                answer(false);
              },
            );
          },
        });
        // Small request/response exchanges (exec, exit status, channel close) must not wait for Nagle + delayed ACK (~40 ms each).
        client.setNoDelay(true);
      } catch (error) {
        fail(error);
      }
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  #watch(logger: Logger | undefined): void {
    let lastError: unknown;
    this.#client.on('error', (error) => {
      lastError = error;
      logger?.debug(`ssh ${this.peer.address}: ${this.#secrets.redact(error.message)}`);
    });
    this.#client.once('close', () => {
      this.#closed = true;
      this.emit('close', this.#closing ? null : connectionLost(this.peer, lastError));
    });
  }

  /** Streams one remote command; see `execRemote`. */
  exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecHandle> {
    return execRemote(this.#open(), command, options);
  }

  /** Runs one remote command and buffers its (small) output; see `runRemote`. */
  run(command: RemoteCommand, options: RunOptions = {}): Promise<Buffer> {
    return runRemote(this.#open(), command, options);
  }

  #open(): ExecTransport {
    return {
      peer: this.peer,
      secrets: this.#secrets,
      openExec: (line, prepare) => this.#channel((cb) => this.#client.exec(line, cb), prepare),
    };
  }

  /** A `direct-tcpip` channel to `host:port` as seen from the machine (juju-db: 127.0.0.1:37017). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    return this.#channel((cb) => this.#client.forwardOut('127.0.0.1', 0, host, port, cb));
  }

  #channel(
    open: (cb: (err: Error | undefined, channel: ClientChannel) => void) => void,
    prepare?: (channel: ClientChannel) => void,
  ): Promise<ClientChannel> {
    if (this.#closed || this.#closing) return Promise.reject(connectionLost(this.peer));
    return new Promise<ClientChannel>((resolve, reject) => {
      try {
        open((err, channel) => {
          if (!err) {
            prepare?.(channel);
            return resolve(channel);
          }
          if (this.#closed) return reject(connectionLost(this.peer, err));
          reject(
            new QuorumError(
              'remote-command-failed',
              `${this.peer.address} refused to open an SSH channel (${this.#secrets.redact(err.message)}). Check the SSH server's limits (MaxSessions) and that forwarding is allowed.`,
              { details: { address: this.peer.address }, cause: err },
            ),
          );
        });
      } catch (error) {
        reject(connectionLost(this.peer, error));
      }
    });
  }

  /** Ends the connection (open channels are cut). Resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closing = true;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#client.destroy(), 2_000);
      this.#client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#client.end();
    });
  }
}

/** Offers exactly one method, public key with the parsed key, then gives up (no password or keyboard prompts). */
function publicKeyOnly(username: string, key: ParsedKey): AuthHandlerMiddleware {
  let offered = false;
  return (_methodsLeft, _partialSuccess, next) => {
    // ssh2 takes `false` for "no more methods"; its typings do not list it.
    if (offered) return next(false as unknown as AuthenticationType);
    offered = true;
    next({ type: 'publickey', username, key });
  };
}
