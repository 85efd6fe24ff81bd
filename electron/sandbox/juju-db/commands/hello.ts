/**
 * The handshake and server-information commands: `hello`/`isMaster` (with
 * speculative SCRAM), `ping`, `buildInfo`, `serverStatus` and the session
 * commands drivers send and expect to be harmless.
 */
import { Long, UUID, deserialize, type Document } from 'bson';
import { flag } from '../bson-eval';
import { MongoServerError } from '../errors';
import { memberByHost } from '../replset/config';
import { MemberState } from '../replset/member-state';
import { majorityOpTime, visiblePrimary } from '../replset/topology';
import type { CommandContext, CommandSpec } from './context';
import { saslStartReply } from './auth';
import { MODERN_SERVER_VERSION } from '../profile';

export const SERVER_VERSION = MODERN_SERVER_VERSION;
export const MAX_WIRE_VERSION = 17;

function hello(ctx: CommandContext): Document {
  const { node, cmd } = ctx;
  const legacy = ctx.name !== 'hello';
  const cfg = node.config;
  const self = memberByHost(cfg, node.host);
  const primary = visiblePrimary(node);
  const isPrimary = node.state === MemberState.PRIMARY;
  const reply: Document = {};
  reply[legacy ? 'ismaster' : 'isWritablePrimary'] = isPrimary;
  if (cfg && self) {
    reply.hosts = cfg.members.filter((m) => !m.hidden && !m.arbiterOnly && m.priority > 0).map((m) => m.host);
    const passives = cfg.members.filter((m) => !m.hidden && !m.arbiterOnly && m.priority === 0).map((m) => m.host);
    if (passives.length) reply.passives = passives;
    const arbiters = cfg.members.filter((m) => m.arbiterOnly).map((m) => m.host);
    if (arbiters.length) reply.arbiters = arbiters;
    reply.setName = cfg._id;
    reply.setVersion = cfg.version;
    reply.secondary = node.state === MemberState.SECONDARY;
    if (primary) reply.primary = primary.host;
    if (self.priority === 0) reply.passive = true;
    if (self.hidden) reply.hidden = true;
    if (Object.keys(self.tags).length) reply.tags = self.tags;
    reply.me = self.host;
    if (isPrimary) reply.electionId = node.electionId();
    const last = node.lastApplied;
    const maj = majorityOpTime(node);
    reply.lastWrite = {
      opTime: { ts: last.ts, t: Long.fromNumber(last.t) },
      lastWriteDate: new Date(last.ts.t * 1000),
      majorityOpTime: { ts: maj.ts, t: Long.fromNumber(maj.t) },
      majorityWriteDate: new Date(maj.ts.t * 1000),
    };
  } else {
    reply.secondary = false;
    reply.info = 'Does not have a valid replica set config';
    reply.isreplicaset = true;
  }
  Object.assign(reply, {
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.conn.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  });
  if (flag(cmd.helloOk)) reply.helloOk = true;
  if (typeof cmd.saslSupportedMechs === 'string') {
    const [db, ...rest] = cmd.saslSupportedMechs.split('.');
    const userDoc = node.store?.catalog.get('admin.system.users')?.get('s' + `${db}.${rest.join('.')}`);
    if (userDoc) {
      reply.saslSupportedMechs = Object.keys(deserializeCreds(userDoc) ?? {});
    }
  }
  const spec = cmd.speculativeAuthenticate as Document | undefined;
  if (spec && spec.saslStart !== undefined) {
    try {
      reply.speculativeAuthenticate = saslStartReply(ctx, (spec.db as string | undefined) ?? 'admin', spec);
    } catch {
      // A failed speculative attempt is simply omitted; the driver retries explicitly.
    }
  }
  reply.ok = 1;
  return reply;
}

function deserializeCreds(raw: Buffer): Document | undefined {
  return deserialize(raw).credentials as Document | undefined;
}

function buildInfo(): Document {
  return {
    version: SERVER_VERSION,
    gitVersion: 'sandbox-juju-db',
    modules: [],
    allocator: 'system',
    javascriptEngine: 'none',
    sysInfo: 'deprecated',
    versionArray: [6, 0, 19, 0],
    openssl: { running: 'node', compiled: 'node' },
    buildEnvironment: {},
    bits: 64,
    debug: false,
    maxBsonObjectSize: 16 * 1024 * 1024,
    storageEngines: ['wiredTiger'],
    ok: 1,
  };
}

function serverStatus(ctx: CommandContext): Document {
  const { node } = ctx;
  const mem = process.memoryUsage();
  const uptimeMs = Date.now() - node.startedAt;
  const primary = visiblePrimary(node);
  return {
    host: node.host,
    version: SERVER_VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor(uptimeMs / 1000),
    uptimeMillis: Long.fromNumber(uptimeMs),
    uptimeEstimate: Long.fromNumber(Math.floor(uptimeMs / 1000)),
    localTime: new Date(),
    connections: { current: node.connectionCount, available: 50_000, totalCreated: ctx.conn.id },
    repl: {
      hosts: node.config?.members.map((m) => m.host) ?? [],
      setName: node.config?._id,
      setVersion: node.config?.version,
      isWritablePrimary: node.state === MemberState.PRIMARY,
      secondary: node.state === MemberState.SECONDARY,
      primary: primary?.host,
      me: node.host,
    },
    mem: { bits: 64, resident: Math.round(mem.rss / 1048576), virtual: Math.round(mem.rss / 1048576), supported: true },
    metrics: { cursor: { open: { total: Long.fromNumber(node.cursors.size) } } },
    storageEngine: { name: 'wiredTiger', supportsCommittedReads: true, persistent: true },
    ok: 1,
  };
}

const ok = (): Document => ({ ok: 1 });

export const helloCommands: Record<string, CommandSpec> = {
  hello: { handler: hello, noAuth: true },
  isMaster: { handler: hello, noAuth: true },
  ismaster: { handler: hello, noAuth: true },
  ping: { handler: ok, noAuth: true },
  buildInfo: { handler: buildInfo, noAuth: true },
  buildinfo: { handler: buildInfo, noAuth: true },
  serverStatus: { handler: serverStatus },
  hostInfo: {
    handler: () => ({ system: { currentTime: new Date(), hostname: 'juju-db', numCores: 2, memSizeMB: 4096 }, os: { type: 'Linux' }, extra: {}, ok: 1 }),
  },
  whatsmyuri: { handler: (ctx) => ({ you: ctx.conn.remote, ok: 1 }), noAuth: true },
  connectionStatus: {
    handler: (ctx) => ({
      authInfo: {
        authenticatedUsers: ctx.conn.user ? [{ user: ctx.conn.user, db: ctx.conn.userDb }] : [],
        authenticatedUserRoles: ctx.conn.user ? [{ role: 'root', db: 'admin' }] : [],
      },
      ok: 1,
    }),
    noAuth: true,
  },
  endSessions: { handler: ok, noAuth: true },
  killAllSessions: { handler: ok },
  killSessions: { handler: ok },
  refreshSessions: { handler: ok },
  startSession: { handler: () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 }) },
  getCmdLineOpts: {
    handler: (ctx) => ({
      argv: ['mongod', '--auth', '--replSet', ctx.node.hooks.setName, '--port', '37017', '--sslOnNormalPorts'],
      parsed: { net: { port: 37017, ssl: { mode: 'requireSSL' } }, replication: { replSet: ctx.node.hooks.setName }, security: { authorization: 'enabled' } },
      ok: 1,
    }),
  },
  getParameter: { handler: () => ({ featureCompatibilityVersion: { version: '6.0' }, ok: 1 }) },
  getLog: { handler: () => ({ totalLinesWritten: 0, log: [], ok: 1 }) },
  getLastError: { handler: () => ({ n: 0, err: null, ok: 1 }) },
  getnonce: {
    handler: () => {
      throw new MongoServerError('CommandNotFound', "no such command: 'getnonce'");
    },
    noAuth: true,
  },
};
