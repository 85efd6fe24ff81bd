import type { JujuState } from './state';
import type { RootMode } from './root';

/**
 * What a facade method sees: the API server it runs in, and the connection
 * (who logged in, which root it was given).
 */

/** Whether a machine's agent is alive (`Machine.AgentPresence()`), for every id asked. */
export type AgentAliveFn = (machineIds: readonly string[]) => Promise<ReadonlyMap<string, boolean>>;

export type Principal =
  | { readonly kind: 'user'; readonly tag: string; readonly name: string }
  | { readonly kind: 'machine'; readonly tag: string; readonly id: string; readonly manager: boolean }
  | { readonly kind: 'unit'; readonly tag: string };

export interface ServerContext {
  /** The state server this API server runs on. */
  readonly machineId: string;
  readonly state: JujuState;
  /** `user-admin`'s password (the `.jenv` `password`). */
  readonly adminPassword: () => Promise<string>;
  readonly agentAlive: AgentAliveFn;
  readonly serverVersion: string;
  /** Users' previous login times (what Juju keeps as the user's last login), by user name. */
  readonly lastLogins: Map<string, Date>;
}

export interface ConnectionContext {
  readonly server: ServerContext;
  /** The environment UUID from the URL path; '' for `/`. */
  readonly pathUuid: string;
  principal: Principal | null;
  mode: RootMode;
  /** Agents must ping within 3 min (`maxClientPingInterval`); users are never timed out. */
  pinged(): void;
}

/** `AuthClient()`: a user logged in. */
export function isClient(ctx: ConnectionContext): boolean {
  return ctx.principal?.kind === 'user';
}

/** `AuthEnvironManager()`: a machine agent with JobManageEnviron. */
export function isEnvironManager(ctx: ConnectionContext): boolean {
  return ctx.principal?.kind === 'machine' && ctx.principal.manager;
}
