import tls, { type PeerCertificate } from 'node:tls';
import { MongoClient } from 'mongodb';
import type { SecretRegistry } from '../../../shared/redact';
import { translateMongoError, type MongoErrorContext } from './mongo-errors';

/**
 * The official driver, pointed at a local tunnel to one juju-db member.
 *
 * - `directConnection`: through a tunnel only this member is reachable; with
 *   `replicaSet=` the driver would switch to the addresses the set reports.
 * - TLS verified against the environment CA. The tunnel's 127.0.0.1 says
 *   nothing about the machine, so the certificate's names are checked
 *   against the names Juju always puts in a juju-db certificate
 *   (`juju-mongodb`, `localhost`, `127.0.0.1`); the chain must still lead to
 *   the environment CA.
 * - SCRAM as the machine agent (`machine-N` / statepassword, authSource
 *   admin), the same identity Juju's own backups use.
 * - A small pool and short timeouts: a console waits seconds, not minutes.
 */

export const JUJU_DB_SERVER_NAMES = ['juju-mongodb', 'localhost', '127.0.0.1'] as const;

export interface JujuDbClientOptions {
  /** Local port of the tunnel to the member. */
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Environment CA certificate (PEM). */
  readonly caPem: string;
  readonly serverSelectionTimeoutMS?: number;
  readonly connectTimeoutMS?: number;
  readonly heartbeatFrequencyMS?: number;
  readonly maxPoolSize?: number;
}

/** Accepts a certificate that is valid for any of the names juju-db certificates carry. */
export function checkJujuDbIdentity(_host: string, cert: PeerCertificate): Error | undefined {
  let first: Error | undefined;
  for (const name of JUJU_DB_SERVER_NAMES) {
    const error = tls.checkServerIdentity(name, cert);
    if (!error) return undefined;
    first ??= error;
  }
  return first;
}

export function createJujuDbClient(options: JujuDbClientOptions): MongoClient {
  return new MongoClient(`mongodb://127.0.0.1:${options.port}/`, {
    directConnection: true,
    tls: true,
    ca: options.caPem,
    servername: 'juju-mongodb',
    checkServerIdentity: checkJujuDbIdentity,
    auth: { username: options.user, password: options.password },
    authSource: 'admin',
    appName: 'quorum',
    maxPoolSize: options.maxPoolSize ?? 4,
    minPoolSize: 0,
    maxIdleTimeMS: 60_000,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
    connectTimeoutMS: options.connectTimeoutMS ?? 5_000,
    socketTimeoutMS: 0,
    heartbeatFrequencyMS: options.heartbeatFrequencyMS ?? 5_000,
    retryWrites: false,
    monitorCommands: false,
  });
}

/** Creates and connects a client; failures come back as translated QuorumErrors and the client is closed. */
export async function connectJujuDb(options: JujuDbClientOptions, context: MongoErrorContext, secrets: SecretRegistry): Promise<MongoClient> {
  const client = createJujuDbClient(options);
  try {
    await client.connect();
    // connect() with directConnection only selects the server; make sure auth works now rather than on first use.
    await client.db('admin').command({ ping: 1 });
    return client;
  } catch (error) {
    await client.close(true).catch(() => undefined);
    throw translateMongoError(error, context, secrets);
  }
}
