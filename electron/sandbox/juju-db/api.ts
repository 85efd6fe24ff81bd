import type { Duplex } from 'node:stream';

/**
 * The public surface of the sandbox's juju-db: a MongoDB wire-protocol
 * replica set, one member per state-server machine, all in one process.
 * The sandbox orchestrator and the SSH hosts use only this interface;
 * Quorum itself never does (it talks to members through the official driver).
 */

export interface JujuDbTls {
  /** PEM certificate chain juju-db serves (the machine's `server.pem` certificate, signed by the environment CA). */
  readonly certPem: string;
  readonly keyPem: string;
  /** The environment CA (agent.conf `cacert`). */
  readonly caPem: string;
}

export interface JujuDbUser {
  /** User name in the `admin` database, e.g. `admin` or `machine-0`. */
  readonly user: string;
  readonly password: string;
}

/**
 * Which MongoDB the members present themselves as. `2.4` is what a Juju 1.25
 * state server runs (`juju-mongodb` 2.4.9 on trusty): legacy wire protocol
 * only (OP_QUERY commands, OP_INSERT/UPDATE/DELETE + getLastError), MONGODB-CR,
 * 2.4's reply shapes. `6.0` is the modern profile (OP_MSG, SCRAM).
 */
export type JujuDbProfile = '2.4' | '6.0';

export interface JujuDbClusterOptions {
  /** Root of persistent data; each member keeps its files under `<dataDir>/machine-<id>/`. */
  readonly dataDir: string;
  readonly tls: JujuDbTls;
  /** Replica set name; Juju's is `juju`. */
  readonly setName: string;
  /**
   * Users that must exist in `admin.system.users` on every member whose data
   * is empty, as Juju's bootstrap creates them (credentials as the profile
   * keeps them). Existing data is never overwritten.
   */
  readonly bootstrapUsers: readonly JujuDbUser[];
  /**
   * Server profile (default `2.4`). It also decides the shape of
   * `bootstrapUsers`: 2.4's `{user, pwd, roles}` documents in
   * `admin.system.users` (MONGODB-CR), or SCRAM credentials on `6.0`.
   */
  readonly profile?: JujuDbProfile;
  /** Election timeout in ms (MongoDB's `settings.electionTimeoutMillis`); the sandbox uses ~1500. */
  readonly electionTimeoutMillis?: number;
}

export type JujuDbMemberStatus = 'running' | 'stopped';

export interface JujuDbMember {
  readonly machineId: string;
  /** The host:port this member reports in the replica set config, e.g. `10.23.0.10:37017`. */
  readonly host: string;
  /** Local TCP port on 127.0.0.1 where this member accepts TLS connections (0 while stopped). */
  readonly port: number;
  readonly status: JujuDbMemberStatus;
  /**
   * Serve one client connection arriving over another stream (an SSH
   * `direct-tcpip` channel to 127.0.0.1:37017). TLS is layered on top.
   * When the member is stopped the stream is ended at once.
   */
  acceptStream(stream: Duplex): void;
}

export interface JujuDbCluster {
  /**
   * Start ("service juju-db start") the member for a machine, creating its
   * data directory on first start. Its replica-set membership comes from the
   * persisted config (or a later replSetInitiate / replSetReconfig).
   */
  startMember(machineId: string, host: string): Promise<JujuDbMember>;
  /** Stop ("service juju-db stop", or power off): connections drop, elections follow. */
  stopMember(machineId: string): Promise<void>;
  member(machineId: string): JujuDbMember | undefined;
  members(): readonly JujuDbMember[];
  /**
   * Fault injection: an unhealthy member keeps running and answering its own
   * clients, but the other members see it as unreachable (health 0), it stops
   * replicating, and it cannot be or stay primary.
   */
  setHealthy(machineId: string, healthy: boolean): void;
  /** Stop every member and flush data to disk. */
  close(): Promise<void>;
}

export type CreateJujuDbCluster = (options: JujuDbClusterOptions) => Promise<JujuDbCluster>;
