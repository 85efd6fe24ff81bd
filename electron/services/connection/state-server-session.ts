import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ParsedKey } from 'ssh2';
import { QuorumError, serializeError, type SerializedError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';
import type { RemoteCommand } from '../../../shared/remote-commands';
import type { SshEndpoint } from '../environments/target';
import { describeError, type Logger } from '../log';
import type { JujuDbClient } from '../mongo/juju-db-client';
import { connectJujuDb } from '../mongo/mongo-client';
import { translateMongoError, type MongoErrorContext } from '../mongo/mongo-errors';
import { MongoTunnel } from '../mongo/tunnel';
import type { ExecHandle, ExecOptions, RunOptions } from '../ssh/exec';
import type { KnownHostsStore } from '../ssh/known-hosts-store';
import { SshClient } from '../ssh/ssh-client';
import type { SshPeer } from '../ssh/ssh-errors';
import { readAgentConf, type AgentConfInfo, type AgentCredentials } from './agent-conf';
import { backoffDelay, type BackoffOptions } from './backoff';

/**
 * One state server (or any machine) of an environment: its SSH connection,
 * its agent.conf, and lazily a tunnel plus a juju-db client (`JujuDbClient`:
 * our legacy wire-protocol client for MongoDB 2.4–4.2, the official driver
 * for 4.4+, chosen by `connectJujuDb` from the handshake) authenticated as
 * the machine agent. The session outlives connection drops: it reconnects
 * with backoff and keeps its tunnel's port, but a client lives only as long
 * as the SSH connection it was opened over. After a drop the session cuts
 * the tunnel's connections and closes the client: when every socket of a
 * client dies at once, the driver (7.9) can wedge its server monitor for
 * good (a heartbeat written to a socket destroyed but not yet closed awaits
 * a `drain` that never comes), and the client then fails every operation
 * with the stale "connection … closed" error; a legacy client's pooled
 * connections are dead too. The next `mongo()` opens a fresh client.
 *
 * States: `connecting` (first attempt, or after the operator acted),
 * `connected`, `unreachable` (transient; retried with backoff), `error`
 * (needs the operator: host key, key passphrase, refused key, agent.conf).
 */

export type SessionState = 'connecting' | 'connected' | 'unreachable' | 'error';

export interface SessionStatus {
  readonly address: string;
  readonly state: SessionState;
  readonly machineId: string | null;
  readonly error: SerializedError | null;
}

/** What a session needs from its environment connection. */
export interface SessionContext {
  readonly environmentId: string;
  readonly username: string;
  readonly keyFile: string;
  readonly caCertPem: string | null;
  readonly knownHosts: KnownHostsStore;
  readonly secrets: SecretRegistry;
  readonly logger: Logger;
  readonly backoff: BackoffOptions;
  readonly sshReadyTimeoutMs?: number;
  readonly keepaliveIntervalMs?: number;
  /** Loads (and caches) the environment's private key; rejects with passphrase-required etc. */
  loadKey(): Promise<ParsedKey>;
  /** Fingerprint vouched for this address, or null. */
  vouchedFingerprint(address: string): string | null;
}

export interface SessionEvents {
  changed: [SessionStatus];
}

/** Errors that go away on their own (machine rebooting, network blip) and are retried with backoff. */
function isTransient(error: QuorumError): boolean {
  return error.code === 'host-unreachable' || error.code === 'timeout';
}

export class StateServerSession extends EventEmitter<SessionEvents> {
  readonly address: string;
  readonly endpoint: SshEndpoint;
  readonly #ctx: SessionContext;
  #state: SessionState = 'connecting';
  #error: QuorumError | null = null;
  #ssh: SshClient | null = null;
  #info: AgentConfInfo | null = null;
  #credentials: AgentCredentials | null = null;
  #attempt: Promise<void> | null = null;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #tunnel: MongoTunnel | null = null;
  #mongo: Promise<JujuDbClient> | null = null;
  /** Clients closed because their SSH connection dropped: errors from them say so. */
  readonly #retired = new WeakSet<JujuDbClient>();
  #closed = false;
  readonly #abort = new AbortController();

  constructor(address: string, endpoint: SshEndpoint, ctx: SessionContext) {
    super();
    this.address = address;
    this.endpoint = endpoint;
    this.#ctx = ctx;
  }

  get state(): SessionState {
    return this.#state;
  }
  get error(): QuorumError | null {
    return this.#error;
  }
  /** Machine id from agent.conf (`0` for machine-0); null until first read. */
  get machineId(): string | null {
    return this.#info?.machineId ?? null;
  }
  /** The public part of agent.conf (no secrets); null until first read. */
  get agentConf(): AgentConfInfo | null {
    return this.#info;
  }
  get peer(): SshPeer {
    return { address: this.address, host: this.endpoint.host, port: this.endpoint.port, username: this.#ctx.username, keyFile: this.#ctx.keyFile };
  }

  status(): SessionStatus {
    return { address: this.address, state: this.#state, machineId: this.machineId, error: this.#error ? serializeError(this.#error) : null };
  }

  #set(state: SessionState, error: QuorumError | null): void {
    const before = this.status();
    this.#state = state;
    this.#error = error;
    const after = this.status();
    if (before.state !== after.state || before.machineId !== after.machineId || before.error?.message !== after.error?.message) {
      this.#logChange(after);
      this.emit('changed', after);
    }
  }

  /** Each change of state (or of its reason) once, at info: what the operator would want in logs/quorum.log. */
  #logChange(status: SessionStatus): void {
    const machine = status.machineId === null ? {} : { machine: status.machineId };
    if (status.error === null) {
      this.#ctx.logger.info(`${this.address}: ${status.state}`, machine);
      return;
    }
    const raw = status.error.details?.raw;
    this.#ctx.logger.info(`${this.address}: ${status.state}: ${status.error.message}`, {
      ...machine,
      code: status.error.code,
      ...(typeof raw === 'string' ? { detail: raw } : {}),
    });
  }

  /**
   * Starts connecting if nothing is under way. A no-op while connected, while
   * waiting for a retry, and in `error` (which waits for `reconnect()`): so
   * callers polling a refused host never cause a handshake per call.
   */
  start(): void {
    if (this.#closed || this.#ssh || this.#attempt || this.#timer || this.#state === 'error') return;
    this.#attempt = this.#connectOnce().finally(() => (this.#attempt = null));
  }

  /** Retries now, e.g. after the operator trusted a key or gave a passphrase. */
  reconnect(): void {
    if (this.#closed || this.#ssh) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#failures = 0;
    if (this.#state === 'error') this.#set('connecting', null);
    this.start();
  }

  async #connectOnce(): Promise<void> {
    if (this.#state !== 'unreachable') this.#set('connecting', null);
    let ssh: SshClient | null = null;
    try {
      const privateKey = await this.#ctx.loadKey();
      ssh = await SshClient.connect({
        peer: this.peer,
        privateKey,
        knownHosts: this.#ctx.knownHosts,
        vouchedFingerprint: this.#ctx.vouchedFingerprint(this.address),
        secrets: this.#ctx.secrets,
        logger: this.#ctx.logger,
        readyTimeoutMs: this.#ctx.sshReadyTimeoutMs,
        keepaliveIntervalMs: this.#ctx.keepaliveIntervalMs,
        signal: this.#abort.signal,
      });
      const conf = await readAgentConf(ssh, this.address, this.#ctx.secrets, this.#abort.signal);
      if (this.#closed) {
        await ssh.close();
        return;
      }
      if (this.#credentials && this.#credentials.statepassword !== conf.credentials.statepassword) {
        // The machine's password changed (e.g. restored): clients made with the old one must go.
        void this.#dropMongo();
      }
      // Dropped while agent.conf was being read: its `close` event is already past.
      if (ssh.closed) throw new QuorumError('host-unreachable', `The SSH connection to ${this.address} dropped while Quorum was reading agent.conf.`);
      this.#info = conf.info;
      this.#credentials = conf.credentials;
      this.#ssh = ssh;
      this.#failures = 0;
      ssh.once('close', (error) => this.#onDrop(ssh!, error));
      this.#set('connected', null);
    } catch (error) {
      await ssh?.close().catch(() => undefined);
      if (this.#closed) return;
      const qe =
        error instanceof QuorumError
          ? error
          : new QuorumError('internal', `Connecting to ${this.address} failed unexpectedly. The details are in the log.`, { cause: error });
      if (!(error instanceof QuorumError)) this.#ctx.logger.error(`connect ${this.address}: ${describeError(error)}`);
      if (isTransient(qe)) {
        this.#set('unreachable', qe);
        this.#scheduleRetry();
      } else {
        this.#set('error', qe);
      }
    }
  }

  #scheduleRetry(): void {
    if (this.#closed) return;
    const delay = backoffDelay(this.#failures++, this.#ctx.backoff);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.start();
    }, delay);
    this.#timer.unref();
  }

  #onDrop(ssh: SshClient, error: QuorumError | null): void {
    if (this.#ssh !== ssh) return;
    this.#ssh = null;
    if (this.#closed) return;
    // Fail what is in flight now, and never reuse a client whose every socket just died.
    this.#tunnel?.cutConnections();
    void this.#dropMongo();
    this.#set('unreachable', error ?? new QuorumError('host-unreachable', `The SSH connection to ${this.address} was closed.`));
    this.#scheduleRetry();
  }

  /**
   * Resolves once connected (agent.conf read). While an attempt is under way
   * it waits for it; otherwise it rejects at once with the current error,
   * so callers never hammer an unreachable host themselves.
   */
  async whenConnected(): Promise<this> {
    if (this.#closed) throw this.#closedError();
    if (this.#ssh) return this;
    this.start();
    if (this.#attempt) await this.#attempt;
    if (this.#ssh) return this;
    throw this.#error ?? this.#closedError();
  }

  #closedError(): QuorumError {
    return new QuorumError('cancelled', `The connection to ${this.address} was closed (the environment was switched or Quorum is quitting).`);
  }

  async #client(): Promise<SshClient> {
    await this.whenConnected();
    return this.#ssh!;
  }

  /** Streams one remote command (see `SshClient.exec`). */
  async exec(command: RemoteCommand, options?: ExecOptions): Promise<ExecHandle> {
    return (await this.#client()).exec(command, options);
  }

  /** Runs one remote command and buffers its small output (see `SshClient.run`). */
  async run(command: RemoteCommand, options?: RunOptions): Promise<Buffer> {
    return (await this.#client()).run(command, options);
  }

  /** A `direct-tcpip` channel from the machine to `host:port`. */
  async forwardOut(host: string, port: number): Promise<Duplex> {
    return (await this.#client()).forwardOut(host, port);
  }

  /**
   * The juju-db client (whichever implementation the server needs) connected
   * to this machine's juju-db through the SSH tunnel, authenticated as the
   * machine agent. One client per SSH
   * connection: after a drop the session closes it and the next call opens a
   * fresh one, so ask for it per operation (or use `withMongo`) rather than
   * keeping it; do not close it (the session does).
   */
  async mongo(): Promise<JujuDbClient> {
    await this.whenConnected();
    if (!this.#mongo) {
      const attempt = this.#openMongo();
      this.#mongo = attempt;
      attempt.catch(() => {
        if (this.#mongo === attempt) this.#mongo = null;
      });
    }
    return this.#mongo;
  }

  async #openMongo(): Promise<JujuDbClient> {
    this.#tunnel ??= await MongoTunnel.open(async () => {
      if (!this.#ssh) throw new QuorumError('host-unreachable', `No SSH connection to ${this.address}.`);
      return this.#ssh.forwardOut('127.0.0.1', 37017);
    });
    const info = this.#info!;
    const credentials = this.#credentials!;
    const caPem = this.#ctx.caCertPem ?? info.cacert;
    return connectJujuDb(
      { host: '127.0.0.1', port: this.#tunnel.port, user: info.tag, password: credentials.statepassword, caPem, authSource: 'admin', appName: 'quorum' },
      this.#errorContext(),
      this.#ctx.secrets,
    );
  }

  /**
   * Runs `fn` with this machine's juju-db client and turns whatever it
   * throws into an operator-facing error: the session's own error when SSH
   * is down, a translated client error otherwise.
   */
  async withMongo<T>(fn: (client: JujuDbClient) => Promise<T>): Promise<T> {
    const client = await this.mongo();
    try {
      return await fn(client);
    } catch (error) {
      if (!this.#ssh && this.#error) throw this.#error;
      if (this.#retired.has(client)) {
        throw new QuorumError(
          'host-unreachable',
          `The SSH connection to ${this.address} dropped while the operation was running. Quorum has reconnected; retry the operation.`,
          { details: { address: this.address }, cause: error },
        );
      }
      throw translateMongoError(error, this.#errorContext(), this.#ctx.secrets);
    }
  }

  /** What juju-db error messages name: the machine, its agent, the CA's source, and why the tunnel last failed to open. */
  #errorContext(): MongoErrorContext {
    const tunnel = this.#tunnel;
    return {
      address: this.address,
      user: this.#info?.tag ?? 'machine agent',
      machineId: this.machineId,
      caSource: this.#ctx.caCertPem ? 'the environment configuration' : 'agent.conf cacert',
      channelFailure: () => tunnel?.lastOpenFailure ?? null,
    };
  }

  /**
   * The agent's secrets, for the few main-process services that need them
   * (backup's mongodump identity, restore's admin login). Kept out of every
   * other API so they cannot drift into a serialised object.
   */
  async withAdminCredentials<T>(fn: (credentials: AgentCredentials, info: AgentConfInfo) => Promise<T>): Promise<T> {
    await this.whenConnected();
    return fn(this.#credentials!, this.#info!);
  }

  async #dropMongo(): Promise<void> {
    const pending = this.#mongo;
    this.#mongo = null;
    if (!pending) return;
    const client = await pending.catch(() => null);
    if (!client) return;
    this.#retired.add(client);
    await closeWithin(client, 3_000);
  }

  /** Closes the juju-db client, the tunnel and the SSH connection; the session cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#attempt?.catch(() => undefined);
    await this.#dropMongo();
    await this.#tunnel?.close();
    this.#tunnel = null;
    const ssh = this.#ssh;
    this.#ssh = null;
    await ssh?.close();
    this.removeAllListeners();
  }
}

async function closeWithin(client: JujuDbClient, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
