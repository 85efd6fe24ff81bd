import { ApiError, CODES, callNotImplemented, goQuote, permissionDenied } from './errors';

/**
 * Method lookup as Juju 1.25's API server does it, per connection "root":
 * - before login, `anonRoot`: only `Admin` (v0, v1, v2);
 * - after login, `apiRoot`: every registered facade by (name, version), the
 *   facade's own permission check at call time (`permission denied`);
 * - a restore in progress (`restoring_root.go`): `aboutToRestoreRoot` lets
 *   seven methods through, `restoreInProgressRoot` none; unknown facades or
 *   methods still get the not-implemented error first;
 * - an Admin v2 login without an environment (`/` path): `restrictedRoot`,
 *   which knows only UserManager and EnvironmentManager.
 */

export type RootMode = 'anonymous' | 'full' | 'about-to-restore' | 'restoring' | 'server-only';

export type Method<C> = (ctx: C, params: unknown) => unknown;

export interface Facade<C> {
  readonly name: string;
  readonly version: number;
  /** The facade constructor's authorizer check; false answers `permission denied`. */
  readonly allow?: (ctx: C) => boolean;
  readonly methods: Readonly<Record<string, Method<C>>>;
}

/** `aboutToRestoreMethodsOnly` in 1.25's `restoring_root.go` (Pinger.Ping is not there; 2.x added it). */
export const ABOUT_TO_RESTORE_METHODS: readonly string[] = [
  'Client.FullStatus',
  'Client.EnvironmentGet',
  'Client.PrivateAddress',
  'Client.PublicAddress',
  'Client.WatchDebugLog',
  'Backups.Restore',
  'Backups.FinishRestore',
];

export const ABOUT_TO_RESTORE_ERROR = 'juju restore is in progress - Juju functionality is limited to avoid data loss';
export const RESTORE_IN_PROGRESS_ERROR = 'juju restore is in progress - Juju api is off to prevent data loss';

/** `restrictedRootNames`: what a server-only (no environment) login may reach. */
const SERVER_ONLY_FACADES = new Set(['UserManager', 'EnvironmentManager']);

/** The facade versions a login result lists (`facades`), sorted by name. */
export function facadeVersions<C>(facades: readonly Facade<C>[]): { Name: string; Versions: number[] }[] {
  const byName = new Map<string, number[]>();
  for (const f of facades) byName.set(f.name, [...(byName.get(f.name) ?? []), f.version].sort((a, b) => a - b));
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Name, Versions]) => ({ Name, Versions }));
}

/** `rpcreflect` method lookup on one facade object: a missing method names the version it was looked up with. */
function methodOf<C>(facade: Facade<C>, method: string, lookupVersion: number): Method<C> {
  const m = Object.hasOwn(facade.methods, method) ? facade.methods[method] : undefined;
  if (m === undefined) throw callNotImplemented(facade.name, lookupVersion, method);
  return m;
}

/**
 * Finds the method a request names in a root, or throws Juju's error.
 * The returned function applies the facade's permission check when called.
 */
export function findMethod<C>(facades: readonly Facade<C>[], mode: RootMode, type: string, version: number, method: string): (ctx: C, params: unknown) => unknown {
  if (mode === 'anonymous') {
    // anonRoot.FindMethod: a non-Admin root is unknown; Admin's methods are looked up at version 0.
    if (type !== 'Admin') throw callNotImplemented(type, version);
    const admin = facades.find((f) => f.name === 'Admin' && f.version === version);
    if (admin === undefined) throw callNotImplemented(type, version, method);
    return bind(admin, methodOf(admin, method, 0));
  }
  if (mode === 'server-only' && !SERVER_ONLY_FACADES.has(type)) {
    throw new ApiError(`logged in to server, no environment, ${goQuote(type)} not found`, CODES.notFound);
  }
  const facade = facades.find((f) => f.name === type && f.version === version);
  if (facade === undefined) throw callNotImplemented(type, version);
  const found = bind(facade, methodOf(facade, method, version));
  if (mode === 'restoring') throw new ApiError(RESTORE_IN_PROGRESS_ERROR);
  if (mode === 'about-to-restore' && !ABOUT_TO_RESTORE_METHODS.includes(`${type}.${method}`)) throw new ApiError(ABOUT_TO_RESTORE_ERROR);
  return found;
}

function bind<C>(facade: Facade<C>, m: Method<C>): (ctx: C, params: unknown) => unknown {
  return (ctx, params) => {
    if (facade.allow !== undefined && !facade.allow(ctx)) throw permissionDenied();
    return m(ctx, params);
  };
}
