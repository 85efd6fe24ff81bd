/**
 * One juju-db member: its data, its replication state, and its TLS listener.
 * Elections and replication between members are driven by the coordinator;
 * this class owns what a single mongod owns.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ObjectId, Timestamp, type Document } from 'bson';
import forge from 'node-forge';
import type { JujuDbMember, JujuDbMemberStatus, JujuDbProfile, JujuDbTls, JujuDbUser } from './api';
import { Connection } from './connection';
import { CursorManager } from './cursors';
import { MongoServerError } from './errors';
import { compareOpTime, makeEntry, NULL_OPTIME, type OpTime, type OplogEntry, type OpType } from './oplog';
import { memberByHost, type ReplSetConfig } from './replset/config';
import { MemberState, type MemberStateCode } from './replset/member-state';
import { readMeta, writeMeta } from './replset/meta-file';
import type { SharedBlocks } from './storage/blocks';
import { DataStore } from './storage/data-store';
import { JUJU_ADMIN_ROLES, ROOT_ROLES, USERS_NS, VERSION_NS, legacyUserDocument, userDocument } from './users';
import { toBson } from './raw-bson';

/** What a member needs from the cluster it belongs to. */
export interface ClusterHooks {
  readonly setName: string;
  /** Which MongoDB the members present themselves as. */
  readonly profile: JujuDbProfile;
  readonly electionTimeoutMillis: number;
  /** Called after a local write so secondaries replicate promptly. */
  onWrite(node: ReplicaNode): void;
  /** Called when this node's replication state changed (config, step-down). */
  onStateChange(node: ReplicaNode): void;
  /** Members this node can currently reach (itself included when healthy). */
  visibleFrom(node: ReplicaNode): ReplicaNode[];
  /** Initiate/reconfig/stepdown hooks. */
  requestElection(immediate: boolean): void;
}

interface Waiter {
  optime: OpTime;
  w: number | 'majority';
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface NodeOptions {
  readonly machineId: string;
  readonly host: string;
  readonly dir: string;
  readonly tls: JujuDbTls;
  readonly bootstrapUsers: readonly JujuDbUser[];
  readonly oplogMaxBytes: number;
  readonly hooks: ClusterHooks;
  /** Blocks shared by the cluster's members (one copy of identical data in memory). */
  readonly shared?: SharedBlocks;
  /** The other members' stores, for sharing replayed journal entries. */
  readonly peers?: () => readonly DataStore[];
}

const weakChains = new WeakMap<JujuDbTls, boolean>();

/** True when the served certificate is signed with SHA-1 (a sandbox made with `caSignature: 'sha1'`). */
function weakSignature(t: JujuDbTls): boolean {
  let weak = weakChains.get(t);
  if (weak === undefined) {
    try {
      weak = forge.pki.certificateFromPem(t.certPem).signatureOid === forge.pki.oids.sha1WithRSAEncryption;
    } catch {
      weak = false;
    }
    weakChains.set(t, weak);
  }
  return weak;
}

export class ReplicaNode implements JujuDbMember {
  readonly machineId: string;
  host: string;
  readonly dir: string;
  readonly hooks: ClusterHooks;
  status: JujuDbMemberStatus = 'stopped';
  healthy = true;
  store: DataStore | null = null;
  config: ReplSetConfig | null = null;
  term = 0;
  isPrimary = false;
  electionTime: Timestamp | null = null;
  electionDate: Date | null = null;
  startedAt = 0;
  initialSyncPending = false;
  initialSyncing = false;
  resyncing = false;
  frozenUntil = 0;
  syncSource: ReplicaNode | null = null;
  readonly lastHeartbeat = new Map<string, Date>();
  readonly cursors = new CursorManager();
  private readonly connections = new Set<Connection>();
  private server: tls.Server | null = null;
  private waiters: Waiter[] = [];
  private readonly options: NodeOptions;
  port = 0;

  constructor(options: NodeOptions) {
    this.options = options;
    this.machineId = options.machineId;
    this.host = options.host;
    this.dir = options.dir;
    this.hooks = options.hooks;
  }

  async start(): Promise<void> {
    if (this.status === 'running') return;
    mkdirSync(this.dir, { recursive: true });
    const store = await DataStore.open(this.dir, { oplogMaxBytes: this.options.oplogMaxBytes, shared: this.options.shared, peers: this.options.peers });
    const meta = readMeta(this.dir);
    this.config = meta.config;
    this.term = meta.term;
    this.store = store;
    if (store.isEmpty() && !store.catalog.get(USERS_NS)) this.bootstrap();
    const server = tls.createServer(this.tlsOptions(), (socket) => this.serve(socket));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.startedAt = Date.now();
    this.status = 'running';
    this.isPrimary = false;
    this.hooks.onStateChange(this);
  }

  private tlsOptions(): tls.TlsOptions {
    const t = this.options.tls;
    const base: tls.TlsOptions = { cert: t.certPem, key: t.keyPem, ca: t.caPem, requestCert: false, minVersion: 'TLSv1.2' };
    // A SHA-1-signed chain (Juju built by an older Go) loads only below OpenSSL 3's default security level.
    return weakSignature(t) ? { ...base, ciphers: 'DEFAULT:@SECLEVEL=0' } : base;
  }

  private bootstrap(): void {
    const store = this.store!;
    const commit = (ns: string, doc: Document): void => {
      store.commitLocal(makeEntry({ ts: new Timestamp({ t: 0, i: 0 }), t: -1, op: 'i', ns, o: toBson(doc), wall: new Date() }));
    };
    if (this.hooks.profile === '2.4') {
      // 2.4 has no authSchema document; users are `{_id, user, pwd, roles}` as Juju 1.25's mgo UpsertUser writes them.
      for (const u of this.options.bootstrapUsers) commit(USERS_NS, legacyUserDocument(u.user, u.password, JUJU_ADMIN_ROLES));
      return;
    }
    commit(VERSION_NS, { _id: 'authSchema', currentVersion: 5 });
    for (const u of this.options.bootstrapUsers) commit(USERS_NS, userDocument('admin', u.user, u.password, ROOT_ROLES));
  }

  async stop(): Promise<void> {
    if (this.status === 'stopped') return;
    this.status = 'stopped';
    this.isPrimary = false;
    this.port = 0;
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    this.cursors.killAll();
    this.failWaiters(new MongoServerError('InterruptedDueToReplStateChange', 'operation was interrupted because the node is shutting down'));
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    const store = this.store;
    this.store = null;
    this.lastHeartbeat.clear();
    if (store) await store.close();
    this.hooks.onStateChange(this);
  }

  acceptStream(stream: Duplex): void {
    if (this.status !== 'running') {
      stream.destroy();
      return;
    }
    const socket = new tls.TLSSocket(stream as never, { isServer: true, ...this.tlsOptions() } as tls.TLSSocketOptions);
    socket.on('error', () => socket.destroy());
    this.serve(socket);
  }

  private serve(socket: tls.TLSSocket): void {
    if (this.status !== 'running') {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this);
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  }

  // ---- replication state ----------------------------------------------------

  get memberConfig(): ReturnType<typeof memberByHost> {
    return memberByHost(this.config, this.host);
  }

  get state(): MemberStateCode {
    if (this.status !== 'running') return MemberState.DOWN;
    if (!this.config) return MemberState.STARTUP;
    if (!this.memberConfig) return MemberState.REMOVED;
    if (this.initialSyncPending || this.initialSyncing) return MemberState.STARTUP2;
    if (this.resyncing) return MemberState.RECOVERING;
    if (this.memberConfig.arbiterOnly) return MemberState.ARBITER;
    return this.isPrimary ? MemberState.PRIMARY : MemberState.SECONDARY;
  }

  get lastApplied(): OpTime {
    return this.store?.lastApplied ?? NULL_OPTIME;
  }

  saveMeta(): void {
    if (this.status === 'running') writeMeta(this.dir, { config: this.config, term: this.term });
  }

  electionId(): ObjectId {
    return new ObjectId('7fffffff' + this.term.toString(16).padStart(16, '0'));
  }

  private nextTs(): Timestamp {
    const now = Math.floor(Date.now() / 1000);
    const last = this.lastApplied.ts;
    return now > last.t ? new Timestamp({ t: now, i: 1 }) : new Timestamp({ t: last.t, i: last.i + 1 });
  }

  /** Write on the primary: applied (conflicts throw), logged, journaled, replicated. */
  write(op: OpType, ns: string, o: Buffer, o2?: Buffer): OplogEntry {
    if (!this.isPrimary || this.state !== MemberState.PRIMARY) throw new MongoServerError('NotWritablePrimary', 'not primary');
    const entry = makeEntry({ ts: this.nextTs(), t: this.term, op, ns, o, o2, wall: new Date() });
    this.store!.commit(entry, true);
    this.hooks.onWrite(this);
    return entry;
  }

  /** A no-op entry (`op: 'n'`) such as "new primary" or "initiating set". */
  writeNoop(msg: Document): OplogEntry {
    const entry = makeEntry({ ts: this.nextTs(), t: this.term, op: 'n', ns: '', o: toBson(msg), wall: new Date() });
    this.store!.commit(entry, true);
    this.hooks.onWrite(this);
    return entry;
  }

  stepDown(until = 0): void {
    if (!this.isPrimary) return;
    this.isPrimary = false;
    this.frozenUntil = Math.max(this.frozenUntil, until);
    this.failWaiters(new MongoServerError('PrimarySteppedDown', 'Primary stepped down while waiting for replication'));
    this.hooks.onStateChange(this);
  }

  // ---- write concern ----------------------------------------------------------

  /** Wait until `w` members (or a majority of voters) applied `optime`. */
  waitForWriteConcern(optime: OpTime, w: number | 'majority', wtimeoutMs: number): Promise<void> {
    if (this.writeConcernSatisfied(optime, w)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { optime, w, resolve, reject, timer: undefined };
      const timeout = wtimeoutMs > 0 ? wtimeoutMs : 60_000;
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== waiter);
        reject(new MongoServerError('WriteConcernFailed', 'waiting for replication timed out', { errInfo: { wtimeout: true } }));
      }, timeout);
      waiter.timer.unref?.();
      this.waiters.push(waiter);
    });
  }

  writeConcernSatisfied(optime: OpTime, w: number | 'majority'): boolean {
    const cfg = this.config;
    if (!cfg) return true;
    const visible = this.hooks.visibleFrom(this);
    const applied = (n: ReplicaNode): boolean => compareOpTime(n.lastApplied, optime) >= 0 && n.state !== MemberState.STARTUP2;
    if (w === 'majority') {
      const voters = cfg.members.filter((m) => m.votes > 0 && !m.arbiterOnly);
      const needed = Math.floor(cfg.members.filter((m) => m.votes > 0).length / 2) + 1;
      const have = voters.filter((m) => visible.some((n) => n.host.toLowerCase() === m.host.toLowerCase() && applied(n))).length;
      return have >= needed;
    }
    return visible.filter((n) => memberByHost(cfg, n.host) && applied(n)).length >= w;
  }

  checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const remaining: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.writeConcernSatisfied(w.optime, w.w)) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve();
      } else remaining.push(w);
    }
    this.waiters = remaining;
  }

  private failWaiters(err: Error): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}
