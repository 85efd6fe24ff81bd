/**
 * The handshake and server-information commands as MongoDB 2.4.9 answers
 * them: `isMaster` (db/repl/rs.cpp ReplSetImpl::_fillIsMaster plus
 * repl.cpp CmdIsMaster: no `minWireVersion`/`maxWireVersion`, no
 * `setVersion`, no `electionId`), `buildInfo` (db/dbcommands_generic.cpp)
 * and `serverStatus` with 2.4's MMAPv1 sections (`backgroundFlushing`,
 * `dur`, `mem.mapped`, `recordStats`; no `storageEngine`, no `wiredTiger`).
 */
import { Double, Long, type Document } from 'bson';
import { MemberState } from '../replset/member-state';
import { visiblePrimary } from '../replset/topology';
import { memberByHost } from '../replset/config';
import { LEGACY_SERVER_VERSION } from '../profile';
import type { ReplicaNode } from '../node';

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;

/** The replica-set part of isMaster, also used by serverStatus.repl. */
function fillIsMaster(node: ReplicaNode, out: Document): void {
  const cfg = node.config;
  const self = memberByHost(cfg, node.host);
  if (!cfg || !self) {
    // CmdIsMaster while the set has no config (or this member was removed).
    out.ismaster = false;
    out.secondary = false;
    out.info = "can't get local.system.replset config from self or any seed (EMPTYCONFIG)";
    out.isreplicaset = true;
    return;
  }
  const isPrimary = node.state === MemberState.PRIMARY;
  out.setName = cfg._id;
  out.ismaster = isPrimary;
  out.secondary = node.state === MemberState.SECONDARY;
  // _fillIsMasterHost: hidden members are left out; priority 0 → passives; slave-delayed passives are left out.
  const visible = cfg.members.filter((m) => !m.hidden);
  const hosts = visible.filter((m) => !m.arbiterOnly && m.priority > 0).map((m) => m.host);
  const passives = visible.filter((m) => !m.arbiterOnly && m.priority === 0 && !m.secondaryDelaySecs).map((m) => m.host);
  const arbiters = visible.filter((m) => m.arbiterOnly).map((m) => m.host);
  if (hosts.length) out.hosts = hosts;
  if (passives.length) out.passives = passives;
  if (arbiters.length) out.arbiters = arbiters;
  const primary = visiblePrimary(node);
  if (primary) out.primary = primary.host;
  if (self.arbiterOnly) out.arbiterOnly = true;
  if (self.priority === 0 && !self.arbiterOnly) out.passive = true;
  if (self.secondaryDelaySecs) out.slaveDelay = self.secondaryDelaySecs;
  if (self.hidden) out.hidden = true;
  if (!self.buildIndexes) out.buildIndexes = false;
  if (Object.keys(self.tags).length) out.tags = { ...self.tags };
  out.me = self.host;
}

export function legacyIsMaster(node: ReplicaNode): Document {
  const reply: Document = {};
  fillIsMaster(node, reply);
  reply.maxBsonObjectSize = MAX_BSON_OBJECT_SIZE;
  reply.maxMessageSizeBytes = MAX_MESSAGE_SIZE_BYTES;
  reply.localTime = new Date();
  reply.ok = 1;
  return reply;
}

/**
 * buildInfo of Ubuntu trusty's juju-mongodb 2.4.9 package. Distribution
 * builds from the source tarball report `gitVersion: "nogitversion"`.
 */
export function legacyBuildInfo(): Document {
  return {
    version: LEGACY_SERVER_VERSION,
    gitVersion: 'nogitversion',
    sysInfo: 'Linux juju-mongodb 3.13.0-generic #trusty x86_64 BOOST_LIB_VERSION=49',
    loaderFlags: '-fPIC -pthread -Wl,-z,now -rdynamic -Wl,-Bsymbolic-functions -Wl,-z,relro',
    compilerFlags: '-Wnon-virtual-dtor -Woverloaded-virtual -fPIC -fno-strict-aliasing -ggdb -pthread -Wall -Wsign-compare -Wno-unknown-pragmas -Winvalid-pch -O3',
    allocator: 'system',
    versionArray: [2, 4, 9, 0],
    javascriptEngine: 'V8',
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    ok: 1,
  };
}

export function legacyServerStatus(node: ReplicaNode, connectionId: number, opcounters: Document): Document {
  const mem = process.memoryUsage();
  const uptimeMs = Date.now() - node.startedAt;
  const dataMb = Math.ceil((node.store?.catalog.totalBytes() ?? 0) / 1048576);
  const repl: Document = {};
  fillIsMaster(node, repl);
  return {
    host: node.host.split(':')[0],
    version: LEGACY_SERVER_VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: new Double(Math.floor(uptimeMs / 1000)),
    uptimeMillis: Long.fromNumber(uptimeMs),
    uptimeEstimate: new Double(Math.floor(uptimeMs / 1000)),
    localTime: new Date(),
    asserts: { regular: 0, warning: 0, msg: 0, user: 0, rollovers: 0 },
    backgroundFlushing: { flushes: Math.floor(uptimeMs / 60_000), total_ms: 0, average_ms: new Double(0), last_ms: 0, last_finished: new Date() },
    connections: { current: node.connectionCount, available: 19_999 - node.connectionCount, totalCreated: Long.fromNumber(connectionId) },
    cursors: { totalOpen: node.cursors.size, clientCursors_size: node.cursors.size, timedOut: 0 },
    dur: {
      commits: 30,
      journaledMB: new Double(0),
      writeToDataFilesMB: new Double(0),
      compression: new Double(0),
      commitsInWriteLock: 0,
      earlyCommits: 0,
      timeMs: { dt: 3000, prepLogBuffer: 0, writeToJournal: 0, writeToDataFiles: 0, remapPrivateView: 0 },
    },
    extra_info: { note: 'fields vary by platform', heap_usage_bytes: mem.heapUsed, page_faults: 0 },
    globalLock: {
      totalTime: Long.fromNumber(uptimeMs * 1000),
      lockTime: Long.fromNumber(0),
      currentQueue: { total: 0, readers: 0, writers: 0 },
      activeClients: { total: 0, readers: 0, writers: 0 },
    },
    indexCounters: { accesses: 0, hits: 0, misses: 0, resets: 0, missRatio: new Double(0) },
    network: { bytesIn: 0, bytesOut: 0, numRequests: 0 },
    opcounters,
    opcountersRepl: { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 },
    recordStats: { accessesNotInMemory: 0, pageFaultExceptionsThrown: 0 },
    repl,
    writeBacksQueued: false,
    mem: {
      bits: 64,
      resident: Math.round(mem.rss / 1048576),
      virtual: Math.round(mem.rss / 1048576) + 2 * dataMb,
      supported: true,
      mapped: dataMb,
      mappedWithJournal: 2 * dataMb,
    },
    metrics: { cursor: { timedOut: Long.fromNumber(0), open: { noTimeout: Long.fromNumber(0), pinned: Long.fromNumber(0), total: Long.fromNumber(node.cursors.size) } } },
    ok: 1,
  };
}

export type OpCounter = 'insert' | 'query' | 'update' | 'delete' | 'getmore' | 'command';
const opcounters = new WeakMap<ReplicaNode, Record<OpCounter, number>>();

/** serverStatus.opcounters, counted per member as 2.4's globalOpCounters does. */
export function countOp(node: ReplicaNode, op: OpCounter, n = 1): void {
  let c = opcounters.get(node);
  if (!c) opcounters.set(node, (c = { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 }));
  c[op] += n;
}

export function opcountersOf(node: ReplicaNode): Document {
  return { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0, ...opcounters.get(node) };
}
