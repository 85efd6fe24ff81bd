/**
 * Commands over OP_QUERY on `<db>.$cmd`, as MongoDB 2.4 dispatches them
 * (db/dbcommands.cpp _runCommands, execCommand): the body may be wrapped in
 * `$query`/`query`; a name 2.4 does not know answers
 * `{errmsg: "no such cmd: <name>", "bad cmd": <the command>, ok: 0}` (no
 * code in 2.4); without authentication a command that needs it answers
 * `{note: "not authorized for command: <name> on database <db>", ok: 0,
 * errmsg: "unauthorized"}` (db/commands.cpp, 2.4's AuthorizationManager);
 * a write command on a non-primary `{note: "from execCommand", ok: 0,
 * errmsg: "not master"}`. `ok` is a double, as 2.4 appends it.
 *
 * The registry is 2.4's set: commands newer than 2.4 (`find`, `insert`,
 * `update`, `delete`, `getMore`, `killCursors`, `listCollections`,
 * `listIndexes`, `createIndexes`, `saslStart`, `hello`, `endSessions`,
 * `createUser` & co, `replSetGetConfig`, …) are simply absent. Handlers the
 * two profiles share are the modern ones; the rest answer in 2.4's shapes.
 */
import { Double, deserialize, type Document } from 'bson';
import { TYPED, num } from '../bson-eval';
import { authCommands } from '../commands/auth';
import type { CommandSpec } from '../commands/context';
import { ddlCommands } from '../commands/ddl';
import { helloCommands } from '../commands/hello';
import { readCommands } from '../commands/read';
import { replsetCommands } from '../commands/replset';
import { writeCommands } from '../commands/write';
import { MongoServerError } from '../errors';
import { runAggregate } from '../query/aggregate';
import { evalDoc } from '../bson-eval';
import { toBson, RawReply } from '../raw-bson';
import { legacyCollStats, legacyDbStats, legacyListDatabases, legacySourceFor } from './catalog';
import type { LegacyContext } from './context';
import { getLastError } from './get-last-error';
import { authenticate, getnonce } from './mongodb-cr';
import { LegacyCommandFailure, legacyReplSetStatus } from './repl-status';
import { countOp, legacyBuildInfo, legacyIsMaster, legacyServerStatus, opcountersOf } from './server-info';

type LegacyHandler = (ctx: LegacyContext) => Document | Buffer | Promise<Document | Buffer>;

interface LegacySpec {
  readonly handler: LegacyHandler;
  /** Runs without authentication (2.4: commands with no required privileges). */
  readonly noAuth?: boolean;
}

function shared(spec: CommandSpec | undefined, noAuth = false): LegacySpec {
  if (!spec) throw new Error('missing shared command');
  return {
    noAuth,
    handler: async (ctx) => {
      const r = await spec.handler(ctx);
      if (r instanceof RawReply) throw new Error('a cursor reply has no 2.4 shape');
      return r;
    },
  };
}

function adminOnly(ctx: LegacyContext): void {
  if (ctx.db !== 'admin') throw new LegacyCommandFailure({ ok: 0, errmsg: 'access denied; use admin db' });
}

/** 2.4's aggregate: the whole result inline (`result`), no cursor. */
function aggregate(ctx: LegacyContext): Document {
  const target = ctx.cmd.aggregate;
  const pipeline = ctx.cmd.pipeline;
  if (typeof target !== 'string' || !Array.isArray(pipeline)) throw new LegacyCommandFailure({ ok: 0, errmsg: 'exception: the aggregate command requires a collection and a pipeline', code: 15999 });
  const source = legacySourceFor(ctx.node, `${ctx.db}.${target}`);
  const resolver = (name: string): Document[] => [...legacySourceFor(ctx.node, `${ctx.db}.${name}`).scan(false)].map((raw) => evalDoc(raw));
  const result: Document[] = [];
  let bytes = 0;
  for (const raw of { [Symbol.iterator]: () => runAggregate(source, pipeline as Document[], resolver) }) {
    bytes += raw.length;
    if (bytes > 16 * 1024 * 1024) throw new LegacyCommandFailure({ ok: 0, errmsg: 'exception: aggregation result exceeds maximum document size (16MB)', code: 16389 });
    result.push(deserialize(raw, TYPED));
  }
  return { result, ok: 1 };
}

const PARAMETERS: Document = { authenticationMechanisms: ['MONGODB-CR'], logLevel: 0, quiet: false, textSearchEnabled: false, supportCompatibilityFormPrivilegeDocuments: true };

function getParameter(ctx: LegacyContext): Document {
  adminOnly(ctx);
  const all = ctx.cmd.getParameter === '*';
  const out: Document = {};
  for (const [k, v] of Object.entries(PARAMETERS)) if (all || k in ctx.cmd) out[k] = v;
  if (!Object.keys(out).length) throw new LegacyCommandFailure({ ok: 0, errmsg: 'no option found to get' });
  return { ...out, ok: 1 };
}

/** Juju 1.25's mongod command line (mongo/mongo.go) for a trusty state server. */
function getCmdLineOpts(ctx: LegacyContext): Document {
  adminOnly(ctx);
  const setName = ctx.node.hooks.setName;
  return {
    argv: ['/usr/lib/juju/bin/mongod', '--auth', '--dbpath', '/var/lib/juju/db', '--sslOnNormalPorts', '--sslPEMKeyFile', '/var/lib/juju/server.pem', '--sslPEMKeyPassword', 'ignored', '--port', '37017', '--noprealloc', '--syslog', '--smallfiles', '--journal', '--keyFile', '/var/lib/juju/shared-secret', '--replSet', setName, '--ipv6', '--oplogSize', '1024'],
    parsed: { auth: true, dbpath: '/var/lib/juju/db', ipv6: true, journal: true, keyFile: '/var/lib/juju/shared-secret', noprealloc: true, oplogSize: 1024, port: 37017, replSet: setName, smallfiles: true, sslOnNormalPorts: true, sslPEMKeyFile: '/var/lib/juju/server.pem', sslPEMKeyPassword: '<password>', syslog: true },
    ok: 1,
  };
}

const REGISTRY = new Map<string, LegacySpec>(
  Object.entries({
    isMaster: { handler: (ctx) => legacyIsMaster(ctx.node), noAuth: true },
    ismaster: { handler: (ctx) => legacyIsMaster(ctx.node), noAuth: true },
    buildInfo: { handler: legacyBuildInfo, noAuth: true },
    buildinfo: { handler: legacyBuildInfo, noAuth: true },
    ping: shared(helloCommands.ping, true),
    whatsmyuri: shared(helloCommands.whatsmyuri, true),
    getnonce: { handler: getnonce, noAuth: true },
    authenticate: { handler: authenticate, noAuth: true },
    logout: shared(authCommands.logout, true),
    getLastError: { handler: getLastError, noAuth: true },
    getlasterror: { handler: getLastError, noAuth: true },
    getPrevError: { handler: prevError, noAuth: true },
    resetError: { handler: (ctx) => (ctx.session.lastError.clear(), { ok: 1 }), noAuth: true },
    connectionStatus: {
      handler: (ctx) => ({ authInfo: { authenticatedUsers: ctx.conn.user ? [{ user: ctx.conn.user, userSource: ctx.conn.userDb }] : [] }, ok: 1 }),
      noAuth: true,
    },
    serverStatus: { handler: (ctx) => legacyServerStatus(ctx.node, ctx.conn.id, opcountersOf(ctx.node)) },
    hostInfo: shared(helloCommands.hostInfo),
    getCmdLineOpts: { handler: getCmdLineOpts },
    getParameter: { handler: getParameter },
    getLog: shared(helloCommands.getLog),
    replSetGetStatus: { handler: (ctx) => (adminOnly(ctx), legacyReplSetStatus(ctx.node)) },
    replSetInitiate: shared(replsetCommands.replSetInitiate),
    replSetReconfig: shared(replsetCommands.replSetReconfig),
    replSetStepDown: shared(replsetCommands.replSetStepDown),
    replSetFreeze: shared(replsetCommands.replSetFreeze),
    listDatabases: { handler: (ctx) => (adminOnly(ctx), legacyListDatabases(ctx)) },
    dbStats: { handler: legacyDbStats },
    dbstats: { handler: legacyDbStats },
    collStats: { handler: legacyCollStats },
    collstats: { handler: legacyCollStats },
    count: shared(readCommands.count),
    distinct: shared(readCommands.distinct),
    aggregate: { handler: aggregate },
    findAndModify: shared(writeCommands.findAndModify),
    findandmodify: shared(writeCommands.findandmodify),
    create: shared(ddlCommands.create),
    drop: shared(ddlCommands.drop),
    dropDatabase: shared(ddlCommands.dropDatabase),
    dropIndexes: shared(ddlCommands.dropIndexes),
    deleteIndexes: { handler: (ctx) => ddlCommands.dropIndexes!.handler({ ...ctx, cmd: { dropIndexes: ctx.cmd.deleteIndexes, index: ctx.cmd.index }, name: 'dropIndexes' }) as Promise<Document> },
    renameCollection: shared(ddlCommands.renameCollection),
  } satisfies Record<string, LegacySpec>),
);

function prevError(ctx: LegacyContext): Document {
  const out: Document = {};
  ctx.session.lastError.appendPrevError(out);
  return { ...out, ok: 1 };
}

/** The command document inside an OP_QUERY on `$cmd` (a `query`/`$query` wrapper is unwrapped). */
export function unwrapCommand(q: Document): Document {
  const first = Object.keys(q)[0];
  if ((first === '$query' || first === 'query') && q[first] && typeof q[first] === 'object' && !Array.isArray(q[first])) return q[first] as Document;
  return q;
}

function withDoubleOk(reply: Document): Document {
  if ('ok' in reply) reply.ok = new Double(num(reply.ok) ? 1 : 0);
  return reply;
}

function failureReply(err: unknown): Document {
  if (err instanceof LegacyCommandFailure) return err.reply;
  if (err instanceof MongoServerError) {
    if (err.codeName === 'NotWritablePrimary') return { note: 'from execCommand', ok: 0, errmsg: 'not master' };
    if (err.codeName === 'Unauthorized' && err.message.includes('admin database')) return { ok: 0, errmsg: 'access denied; use admin db' };
    return { ok: 0, errmsg: err.message, code: err.code };
  }
  return { ok: 0, errmsg: `exception: ${err instanceof Error ? err.message : String(err)}`, code: 1 };
}

/** Run one command; never throws. Returns the raw reply document. */
export async function runLegacyCommand(ctx: Omit<LegacyContext, 'name' | 'cmd'>, query: Document): Promise<Buffer> {
  countOp(ctx.node, 'command');
  const cmd = unwrapCommand(query);
  const name = Object.keys(cmd)[0] ?? '';
  let reply: Document | Buffer;
  try {
    const spec = REGISTRY.get(name);
    if (!spec) {
      reply = { errmsg: `no such cmd: ${name}`, 'bad cmd': query, ok: 0 };
    } else if (!spec.noAuth && !ctx.conn.user) {
      reply = { note: `not authorized for command: ${name} on database ${ctx.db}`, ok: 0, errmsg: 'unauthorized' };
    } else if (!ctx.node.store) {
      reply = { ok: 0, errmsg: 'node is shutting down' };
    } else {
      reply = await spec.handler({ ...ctx, cmd, name });
    }
  } catch (err) {
    reply = failureReply(err);
  }
  return Buffer.isBuffer(reply) ? reply : toBson(withDoubleOk(reply));
}
