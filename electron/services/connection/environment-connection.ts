import { EventEmitter } from 'node:events';
import type { ParsedKey } from 'ssh2';
import { QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';
import type { ConnectionTarget, SshEndpoint } from '../environments/target';
import type { Logger } from '../log';
import type { KnownHostsStore } from '../ssh/known-hosts-store';
import { loadPrivateKey } from '../ssh/private-key';
import { probeHostKey } from '../ssh/probe-host-key';
import type { BackoffOptions } from './backoff';
import { StateServerSession, type SessionStatus } from './state-server-session';

/**
 * The open connection to one environment: one `StateServerSession` per
 * machine address, created on first use and reused, all sharing the
 * environment's private key (parsed once; its passphrase in memory only).
 * Opening it starts connecting to every state server the target lists.
 */

export interface EnvironmentStatus {
  readonly environmentId: string;
  readonly stateServers: readonly SessionStatus[];
}

export interface EnvironmentConnectionOptions {
  readonly knownHosts: KnownHostsStore;
  readonly secrets: SecretRegistry;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  readonly sshReadyTimeoutMs?: number;
  readonly keepaliveIntervalMs?: number;
  /** Passphrases the operator gave, by key file (shared across environments that use the same key). */
  readonly passphrases: Map<string, string>;
}

export interface EnvironmentConnectionEvents {
  changed: [EnvironmentStatus];
}

export class EnvironmentConnection extends EventEmitter<EnvironmentConnectionEvents> {
  readonly target: ConnectionTarget;
  readonly #options: EnvironmentConnectionOptions;
  readonly #sessions = new Map<string, StateServerSession>();
  #key: Promise<ParsedKey> | null = null;
  #closed = false;

  constructor(target: ConnectionTarget, options: EnvironmentConnectionOptions) {
    super();
    this.target = target;
    this.#options = options;
    for (const server of target.stateServers) this.#session(server.address, server.ssh).start();
  }

  get environmentId(): string {
    return this.target.environmentId;
  }
  get closed(): boolean {
    return this.#closed;
  }

  #loadKey(): Promise<ParsedKey> {
    if (!this.#key) {
      const attempt = loadPrivateKey(this.target.keyFile, this.#options.passphrases.get(this.target.keyFile));
      this.#key = attempt;
      attempt.catch(() => {
        if (this.#key === attempt) this.#key = null;
      });
    }
    return this.#key;
  }

  #endpointFor(address: string): SshEndpoint {
    const listed = this.target.stateServers.find((s) => s.address === address);
    return listed ? listed.ssh : this.target.sshEndpointFor(address);
  }

  #session(address: string, endpoint?: SshEndpoint): StateServerSession {
    if (this.#closed) throw new QuorumError('cancelled', `The connection to ${this.target.name} was closed.`);
    let session = this.#sessions.get(address);
    if (session) return session;
    const logger = this.#options.logger.child(`conn.${this.target.environmentId}`);
    session = new StateServerSession(address, endpoint ?? this.#endpointFor(address), {
      environmentId: this.target.environmentId,
      username: this.target.sshUser,
      keyFile: this.target.keyFile,
      caCertPem: this.target.caCertPem,
      knownHosts: this.#options.knownHosts,
      secrets: this.#options.secrets,
      logger,
      backoff: this.#options.backoff ?? {},
      sshReadyTimeoutMs: this.#options.sshReadyTimeoutMs,
      keepaliveIntervalMs: this.#options.keepaliveIntervalMs,
      loadKey: () => this.#loadKey(),
      vouchedFingerprint: (a) => this.target.vouchedHostKeys.get(a) ?? null,
    });
    session.on('changed', () => this.emit('changed', this.status()));
    this.#sessions.set(address, session);
    return session;
  }

  /**
   * The session for a machine address (a listed state server, or any
   * machine the environment maps, e.g. one restore must update), without
   * waiting. It starts connecting if it was idle.
   */
  session(address: string): StateServerSession {
    const session = this.#session(address);
    session.start();
    return session;
  }

  /**
   * The connected session for `address`. Rejects with the session's error
   * (host-unreachable, host-key-unknown …) when it cannot connect now; the
   * session keeps retrying transient failures on its own.
   */
  stateServer(address: string): Promise<StateServerSession> {
    try {
      return this.session(address).whenConnected();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Every session, listed state servers first. */
  sessions(): readonly StateServerSession[] {
    return [...this.#sessions.values()];
  }

  /** Sessions connected right now, in the target's order. */
  connectedSessions(): readonly StateServerSession[] {
    return this.sessions().filter((s) => s.state === 'connected');
  }

  status(): EnvironmentStatus {
    return { environmentId: this.target.environmentId, stateServers: this.sessions().map((s) => s.status()) };
  }

  /**
   * Keeps the passphrase (memory only, registered as a secret) if it opens
   * the key, then retries every session waiting for it. A wrong passphrase
   * is rejected with `passphrase-required` and not kept.
   */
  async providePassphrase(passphrase: string): Promise<void> {
    this.#options.secrets.add(passphrase);
    await loadPrivateKey(this.target.keyFile, passphrase);
    this.#options.passphrases.set(this.target.keyFile, passphrase);
    this.#key = null;
    for (const s of this.#sessions.values()) if (s.error?.code === 'passphrase-required') s.reconnect();
  }

  /**
   * Trusts the host key `host:port` presents now, if its fingerprint is the
   * one the operator confirmed; then reconnects the sessions that were
   * waiting for it. The renderer never supplies key material.
   */
  async trustHostKey(host: string, port: number, fingerprint: string): Promise<{ fingerprint: string; keyType: string }> {
    const sessions = this.sessions().filter((s) => s.endpoint.host === host && s.endpoint.port === port);
    if (sessions.length === 0) {
      throw new QuorumError('not-found', `${host}:${port} is not a machine of ${this.target.name}. Nothing was trusted.`, { details: { host, port } });
    }
    const presented = await probeHostKey(host, port);
    if (presented.fingerprint !== fingerprint) {
      throw new QuorumError(
        'conflict',
        `${host}:${port} now presents the host key ${presented.fingerprint}, not ${fingerprint} that you confirmed. Nothing was trusted; check the machine before trying again.`,
        { details: { host, port, fingerprint: presented.fingerprint, confirmedFingerprint: fingerprint } },
      );
    }
    const verdict = await this.#options.knownHosts.add(host, port, presented.key);
    if (verdict.kind === 'changed' || verdict.kind === 'revoked') {
      throw new QuorumError(
        'host-key-changed',
        `${this.#options.knownHosts.file} already holds another ${presented.keyType} key for ${host}:${port}. If the machine was rebuilt, remove that entry first; otherwise do not connect: someone may be intercepting.`,
        { details: { host, port, fingerprint: presented.fingerprint } },
      );
    }
    this.#options.logger.info(`trusted the ${presented.keyType} host key ${presented.fingerprint} of ${host}:${port}`);
    for (const s of sessions) s.reconnect();
    return { fingerprint: presented.fingerprint, keyType: presented.keyType };
  }

  /** Retries every session that is not connected (the operator pressed "retry"). */
  retry(): void {
    for (const s of this.#sessions.values()) s.reconnect();
  }

  /** Closes every session: SSH clients, tunnels and MongoClients. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((s) => s.close()));
    this.removeAllListeners();
  }
}
