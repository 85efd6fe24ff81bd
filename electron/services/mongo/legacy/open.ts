import { type JujuDbClient, type JujuDbConnectOptions } from '../juju-db-client';
import { authenticate, mechanismFor, type Credentials } from './auth';
import { LegacyJujuDbClient, type LegacyClientSettings } from './client';
import { LegacyConnection } from './connection';
import { DEFAULT_CONNECT_TIMEOUT_MS, endpointOf, LegacyHandshake, type Handshake } from './handshake';
import { ConnectionPool } from './pool';
import { DEFAULT_MAX_MESSAGE_SIZE } from './wire';

export const DEFAULT_OPERATION_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_POOL_SIZE = 4;

/**
 * Authenticates (MONGODB-CR when maxWireVersion < 3, i.e. MongoDB 2.4/2.6;
 * SCRAM-SHA-1 on 3.0-4.2) and returns the client; reuses the handshake's
 * connection as the pool's first. Which servers to use it for is the
 * caller's choice (see `connectJujuDb`).
 */
export async function openLegacyJujuDb(options: JujuDbConnectOptions, handshake: Handshake): Promise<JujuDbClient> {
  const mechanism = mechanismFor(handshake.maxWireVersion);
  const credentials: Credentials = { user: options.user, password: options.password, source: options.authSource ?? 'admin' };
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const endpoint = endpointOf(options);

  /** Authenticates within what is left of the connection's time (TCP + TLS + auth share connectTimeoutMs). */
  const authenticated = async (connection: LegacyConnection, deadline = Date.now() + connectTimeoutMs): Promise<LegacyConnection> => {
    try {
      await authenticate(connection, credentials, mechanism, { timeoutMs: Math.max(1, deadline - Date.now()) });
      return connection;
    } catch (error) {
      connection.destroy('authentication failed');
      throw error;
    }
  };
  const open = async (): Promise<LegacyConnection> => {
    const deadline = Date.now() + connectTimeoutMs;
    return authenticated(await LegacyConnection.open(endpoint, connectTimeoutMs), deadline);
  };

  const handedOver = handshake instanceof LegacyHandshake ? handshake.takeConnection() : undefined;
  const first = handedOver ? await authenticated(handedOver) : await open();
  const maxMessageSize = handshake.isMaster['maxMessageSizeBytes'];
  const settings: LegacyClientSettings = {
    server: { version: handshake.version, maxWireVersion: handshake.maxWireVersion, protocol: 'legacy', authMechanism: mechanism },
    operationTimeoutMs: options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
    maxMessageSizeBytes: typeof maxMessageSize === 'number' && maxMessageSize > 0 ? maxMessageSize : DEFAULT_MAX_MESSAGE_SIZE,
  };
  const pool = new ConnectionPool(open, Math.max(1, options.maxPoolSize ?? DEFAULT_MAX_POOL_SIZE), first);
  return new LegacyJujuDbClient(pool, settings);
}

