import type { Document } from 'bson';
import type { JujuDbConnectOptions } from '../juju-db-client';
import { runCommand } from './command';
import { LegacyConnection, type Endpoint } from './connection';

/**
 * The first exchange with a juju-db member, before anyone knows which
 * client can talk to it: `isMaster` (every MongoDB answers it by OP_QUERY,
 * 2.4 through 8.x) and `buildInfo`. The connection stays open so the legacy
 * client can take it as its first pooled connection.
 */

export interface Handshake {
  /** The server's isMaster reply. */
  readonly isMaster: Document;
  /** buildInfo.version ('' if buildInfo failed). */
  readonly version: string;
  /** 0 when absent (2.4). */
  readonly maxWireVersion: number;
  /** Closes the connection, when the caller picks the driver instead. */
  close(): void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function endpointOf(options: JujuDbConnectOptions): Endpoint {
  return { host: options.host ?? '127.0.0.1', port: options.port, caPem: options.caPem, servername: options.servername };
}

/** The handshake as the legacy client knows it: it can hand over its connection once. */
export class LegacyHandshake implements Handshake {
  readonly maxWireVersion: number;

  constructor(
    private connection: LegacyConnection | undefined,
    readonly isMaster: Document,
    readonly version: string,
  ) {
    const wire = isMaster['maxWireVersion'];
    this.maxWireVersion = typeof wire === 'number' ? wire : 0;
  }

  close(): void {
    this.connection?.destroy('handshake closed');
    this.connection = undefined;
  }

  /** The open connection (unauthenticated), if still alive; later calls get undefined. */
  takeConnection(): LegacyConnection | undefined {
    const connection = this.connection;
    this.connection = undefined;
    return connection?.alive ? connection : undefined;
  }
}

function clientMetadata(appName: string | undefined): Document {
  return {
    ...(appName ? { application: { name: appName } } : {}),
    driver: { name: 'quorum-legacy', version: '1' },
    os: { type: process.platform, architecture: process.arch },
    platform: `Node.js ${process.version}`,
  };
}

/** Opens one TLS connection, sends isMaster by OP_QUERY on admin.$cmd (plus buildInfo), and keeps the connection for reuse. */
export async function handshake(options: JujuDbConnectOptions): Promise<Handshake> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const remaining = (): number => Math.max(1, deadline - Date.now());
  const connection = await LegacyConnection.open(endpointOf(options), timeoutMs);
  try {
    const isMaster = await runCommand(connection, 'admin', { isMaster: 1, client: clientMetadata(options.appName) }, { timeoutMs: remaining() });
    let version = '';
    try {
      const info = await runCommand(connection, 'admin', { buildInfo: 1 }, { timeoutMs: remaining() });
      if (typeof info['version'] === 'string') version = info['version'];
    } catch (error) {
      // buildInfo refused (an odd server or user): the wire version still decides; a dead connection does not.
      if (!connection.alive) throw error;
    }
    return new LegacyHandshake(connection, isMaster, version);
  } catch (error) {
    connection.destroy('handshake failed');
    throw error;
  }
}
