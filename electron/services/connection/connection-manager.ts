import { EventEmitter } from 'node:events';
import path from 'node:path';
import { QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';
import type { ConnectionTarget } from '../environments/target';
import type { Logger } from '../log';
import { KnownHostsStore } from '../ssh/known-hosts-store';
import type { BackoffOptions } from './backoff';
import { EnvironmentConnection, type EnvironmentStatus } from './environment-connection';

/**
 * The connection layer's entry point for the rest of the main process. One
 * environment is open at a time: opening another closes the previous one
 * (every SSH client, tunnel and MongoClient). Passphrases the operator gave
 * live here, in memory only, for the whole run.
 *
 * Consumers (topology, backups, restore, HA) do:
 *
 *     const env = manager.open(target);
 *     const session = await env.stateServer('10.23.0.10');
 *     await session.withMongo((client) => client.db('admin').command({ replSetGetStatus: 1 }));
 *     const { stdout, exit } = await session.exec({ kind: 'tar-out', paths: [...] });
 */

export interface ConnectionManagerOptions {
  /** QUORUM_HOME; known hosts live in `<home>/known_hosts`. */
  readonly quorumHome: string;
  readonly secrets: SecretRegistry;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  readonly sshReadyTimeoutMs?: number;
  readonly keepaliveIntervalMs?: number;
}

export interface ConnectionManagerEvents {
  /** Any state server of the open environment changed state. */
  changed: [EnvironmentStatus];
}

/** Targets that reach the same machines the same way can share one connection. */
function targetSignature(target: ConnectionTarget): string {
  return JSON.stringify([
    target.environmentId,
    target.kind,
    target.sshUser,
    target.keyFile,
    target.caCertPem,
    target.stateServers.map((s) => [s.address, s.ssh.host, s.ssh.port]),
    [...target.vouchedHostKeys.entries()].sort(),
  ]);
}

export class ConnectionManager extends EventEmitter<ConnectionManagerEvents> {
  readonly knownHosts: KnownHostsStore;
  readonly #options: ConnectionManagerOptions;
  readonly #passphrases = new Map<string, string>();
  #current: { connection: EnvironmentConnection; signature: string } | null = null;
  #closing: Promise<void> = Promise.resolve();

  constructor(options: ConnectionManagerOptions) {
    super();
    this.#options = options;
    this.knownHosts = new KnownHostsStore(path.join(options.quorumHome, 'known_hosts'));
  }

  /** The open environment, if any. */
  get current(): EnvironmentConnection | null {
    return this.#current?.connection ?? null;
  }

  /**
   * Opens (or returns the already open) connection to an environment. A
   * different environment, or the same one reached differently (the sandbox
   * restarted on new ports), closes the previous connection first.
   */
  open(target: ConnectionTarget): EnvironmentConnection {
    const signature = targetSignature(target);
    if (this.#current && this.#current.signature === signature && !this.#current.connection.closed) return this.#current.connection;
    this.#closeCurrent();
    const connection = this.openDetached(target);
    connection.on('changed', (status) => this.emit('changed', status));
    this.#current = { connection, signature };
    this.emit('changed', connection.status());
    return connection;
  }

  /**
   * A connection to an environment that is NOT made the open one: the
   * selected environment's connection stays as it is. Scheduled backups use
   * it for the length of a run; the caller closes it. It shares known hosts
   * and the passphrases already given.
   */
  openDetached(target: ConnectionTarget): EnvironmentConnection {
    return new EnvironmentConnection(target, {
      knownHosts: this.knownHosts,
      secrets: this.#options.secrets,
      logger: this.#options.logger,
      backoff: this.#options.backoff,
      sshReadyTimeoutMs: this.#options.sshReadyTimeoutMs,
      keepaliveIntervalMs: this.#options.keepaliveIntervalMs,
      passphrases: this.#passphrases,
    });
  }

  #closeCurrent(): void {
    const previous = this.#current?.connection;
    this.#current = null;
    if (previous) {
      const closing = previous.close();
      this.#closing = this.#closing.then(() => closing).catch(() => undefined);
    }
  }

  /** Closes the open environment (switching to none). */
  async closeCurrent(): Promise<void> {
    this.#closeCurrent();
    await this.#closing;
  }

  /** The open environment's connection, or `not-found` when `environmentId` is not the open one. */
  connection(environmentId: string): EnvironmentConnection {
    const current = this.current;
    if (!current || current.environmentId !== environmentId) {
      throw new QuorumError('not-found', `Environment ${environmentId} is not connected. Select it first.`, { details: { environmentId } });
    }
    return current;
  }

  /** Status of the open environment's state servers (empty when `environmentId` is not open). */
  status(environmentId: string): EnvironmentStatus {
    const current = this.current;
    if (!current || current.environmentId !== environmentId) return { environmentId, stateServers: [] };
    return current.status();
  }

  providePassphrase(environmentId: string, passphrase: string): Promise<void> {
    this.#options.secrets.add(passphrase);
    return this.connection(environmentId).providePassphrase(passphrase);
  }

  trustHostKey(environmentId: string, host: string, port: number, fingerprint: string): Promise<{ fingerprint: string; keyType: string }> {
    return this.connection(environmentId).trustHostKey(host, port, fingerprint);
  }

  /** Closes everything (app quit). */
  async close(): Promise<void> {
    this.#closeCurrent();
    await this.#closing;
    this.removeAllListeners();
  }
}
