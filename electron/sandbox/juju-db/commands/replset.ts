/**
 * Replica set commands: status, config, initiate, reconfig (with MongoDB's
 * validation), step-down and freeze. Elections themselves are run by the
 * coordinator; these commands change state and ask it to act.
 */
import { type Document } from 'bson';
import { flag, num } from '../bson-eval';
import { MongoServerError } from '../errors';
import { compareOpTime } from '../oplog';
import { configToDocument, parseConfig, validateInitiate, validateReconfig } from '../replset/config';
import { MemberState } from '../replset/member-state';
import { replSetStatus } from '../replset/status';
import type { CommandContext, CommandSpec } from './context';

function adminOnly(ctx: CommandContext): void {
  if (ctx.db !== 'admin') throw new MongoServerError('Unauthorized', `${ctx.name} may only be run against the admin database.`);
}

function getStatus(ctx: CommandContext): Document {
  adminOnly(ctx);
  return replSetStatus(ctx.node);
}

function getConfig(ctx: CommandContext): Document {
  adminOnly(ctx);
  if (!ctx.node.config) throw new MongoServerError('NotYetInitialized', 'no replset config has been received');
  return { config: configToDocument(ctx.node.config), ok: 1 };
}

function initiate(ctx: CommandContext): Document {
  adminOnly(ctx);
  const node = ctx.node;
  if (node.config) throw new MongoServerError('AlreadyInitialized', 'already initialized');
  let doc = ctx.cmd.replSetInitiate as Document | undefined;
  if (!doc || typeof doc !== 'object') {
    doc = { _id: node.hooks.setName, version: 1, members: [{ _id: 0, host: node.host }] };
  }
  const cfg = parseConfig(doc, { electionTimeoutMillis: node.hooks.electionTimeoutMillis });
  if (cfg._id !== node.hooks.setName) {
    throw new MongoServerError('InvalidReplicaSetConfig', `Attempting to initiate a replica set with name ${cfg._id}, but command line reports ${node.hooks.setName}; rejecting`);
  }
  validateInitiate(cfg, node.host);
  cfg.term = node.term;
  node.config = cfg;
  node.saveMeta();
  node.writeNoop({ msg: 'initiating set' });
  node.hooks.onStateChange(node);
  node.hooks.requestElection(true);
  return { ok: 1 };
}

function reconfig(ctx: CommandContext): Document {
  adminOnly(ctx);
  const node = ctx.node;
  const force = flag(ctx.cmd.force);
  const old = node.config;
  if (!old) throw new MongoServerError('NotYetInitialized', 'no replset config has been received');
  if (!force && node.state !== MemberState.PRIMARY) {
    throw new MongoServerError('NotWritablePrimary', `replSetReconfig should only be run on a writable PRIMARY. Current state ${stateName(node.state)};`);
  }
  const doc = ctx.cmd.replSetReconfig as Document | undefined;
  if (!doc || typeof doc !== 'object') throw new MongoServerError('TypeMismatch', 'no configuration specified');
  const cfg = parseConfig(doc, { electionTimeoutMillis: old.settings.electionTimeoutMillis, replicaSetId: old.settings.replicaSetId });
  // 2.4 (what Juju 1.25 runs) lets one reconfig change several votes; 4.4+ only one (the 6.0 profile).
  validateReconfig(old, cfg, force, node.host, { singleVoterChange: node.hooks.profile !== '2.4' });
  if (force && cfg.version <= old.version) cfg.version = old.version + 10_000 + Math.floor(Math.random() * 90_000);
  cfg.term = force ? -1 : node.term;
  node.config = cfg;
  node.saveMeta();
  if (node.isPrimary) node.writeNoop({ msg: 'Reconfig set', version: cfg.version });
  node.hooks.onStateChange(node);
  return { ok: 1 };
}

function stateName(s: number): string {
  return s === MemberState.SECONDARY ? 'SECONDARY' : s === MemberState.PRIMARY ? 'PRIMARY' : s === MemberState.STARTUP2 ? 'STARTUP2' : s === MemberState.REMOVED ? 'REMOVED' : 'STARTUP';
}

function stepDown(ctx: CommandContext): Document {
  adminOnly(ctx);
  const node = ctx.node;
  if (!node.isPrimary) throw new MongoServerError('NotWritablePrimary', 'not primary so can\'t step down');
  const secs = ctx.cmd.replSetStepDown === undefined || ctx.cmd.replSetStepDown === true ? 60 : num(ctx.cmd.replSetStepDown, 60);
  const force = flag(ctx.cmd.force);
  const cfg = node.config!;
  const caughtUp = node.hooks
    .visibleFrom(node)
    .some((n) => n !== node && memberByPriority(cfg, n.host) && n.state === MemberState.SECONDARY && compareOpTime(n.lastApplied, node.lastApplied) >= 0);
  if (!caughtUp && !force) {
    throw new MongoServerError('ExceededTimeLimit', `No electable secondaries caught up as of ${new Date().toISOString()}. Please use the replSetStepDown command with the argument {force: true} to force node to step down.`);
  }
  node.stepDown(Date.now() + secs * 1000);
  node.hooks.requestElection(true);
  return { ok: 1 };
}

function memberByPriority(cfg: NonNullable<CommandContext['node']['config']>, host: string): boolean {
  const m = cfg.members.find((x) => x.host.toLowerCase() === host.toLowerCase());
  return !!m && m.priority > 0 && m.votes > 0;
}

function freeze(ctx: CommandContext): Document {
  adminOnly(ctx);
  const node = ctx.node;
  if (node.isPrimary) throw new MongoServerError('NotSecondary', 'cannot freeze node when primary or running for election. state: Primary');
  const secs = num(ctx.cmd.replSetFreeze, 0);
  node.frozenUntil = secs > 0 ? Date.now() + secs * 1000 : 0;
  return secs > 0 ? { ok: 1 } : { info: 'unfreezing', ok: 1 };
}

export const replsetCommands: Record<string, CommandSpec> = {
  replSetGetStatus: { handler: getStatus },
  replSetGetConfig: { handler: getConfig },
  replSetInitiate: { handler: initiate },
  replSetReconfig: { handler: reconfig },
  replSetStepDown: { handler: stepDown },
  replSetFreeze: { handler: freeze },
};
