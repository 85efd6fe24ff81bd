/**
 * Command lookup and the checks every command passes: known name (else 59
 * CommandNotFound), authentication (else 13 Unauthorized), then the handler.
 */
import { type Document } from 'bson';
import { MongoServerError, errorReply } from '../errors';
import { authCommands } from './auth';
import type { CommandContext, CommandSpec } from './context';
import { ddlCommands } from './ddl';
import { helloCommands } from './hello';
import { readCommands } from './read';
import { replsetCommands } from './replset';
import { writeCommands } from './write';
import { RawReply, toBson } from '../raw-bson';

const REGISTRY = new Map<string, CommandSpec>(
  Object.entries({ ...helloCommands, ...authCommands, ...readCommands, ...writeCommands, ...ddlCommands, ...replsetCommands }),
);

/** Names a client sent as the first key of a command body. */
export function commandName(cmd: Document): string {
  return Object.keys(cmd)[0] ?? '';
}

/** Run a command; never throws (errors become `{ok: 0}` replies). Returns raw BSON as chunks to send back to back. */
export async function runCommand(ctx: Omit<CommandContext, 'name'>): Promise<readonly Buffer[]> {
  const name = commandName(ctx.cmd);
  try {
    const spec = REGISTRY.get(name);
    if (!spec) throw new MongoServerError('CommandNotFound', `no such command: '${name}'`);
    if (!spec.noAuth && !ctx.conn.user) throw new MongoServerError('Unauthorized', `Command ${name} requires authentication`);
    if (!ctx.node.store) throw new MongoServerError('InterruptedDueToReplStateChange', 'node is shutting down');
    const reply = await spec.handler({ ...ctx, name });
    if (reply instanceof RawReply) return reply.chunks;
    return [Buffer.isBuffer(reply) ? reply : toBson(reply)];
  } catch (err) {
    return [toBson(errorReply(err))];
  }
}
