/**
 * What 2.4-profile command handlers receive: the modern command context
 * (node, connection, db, command) plus the connection's legacy state
 * (MONGODB-CR nonce, last error) and the OP_QUERY flags the command came with.
 */
import type { CommandContext } from '../commands/context';
import type { LastError } from './last-error';

export interface LegacySessionState {
  /** The nonce `getnonce` handed out, good for one `authenticate`. */
  nonce: string | null;
  readonly lastError: LastError;
}

export interface LegacyContext extends CommandContext {
  readonly session: LegacySessionState;
  readonly queryFlags: number;
}
