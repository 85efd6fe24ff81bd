import type { StateServersChanges } from '../../../shared/ha/changes';
import { QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';
import { CODE_NOT_IMPLEMENTED, jujuApiError, loginRefused } from './api-errors';
import type { ConstraintsValue } from './constraints';
import { JujuRpc, RpcError, type CallOptions, type RpcSocket } from './rpc';
import { openApiSocket, type OpenApiSocketOptions } from './transport';

/**
 * A Juju 1.25 API connection logged in as the environment's admin, with the
 * calls Quorum's HA flow makes, shaped exactly as `juju ensure-availability`
 * and `juju remove-machine` send them (PROTOCOL.md §3–§5, §7). Login tries
 * Admin v2, then v1, then v0 on "not implemented", as the 1.25 CLI does.
 */

export interface AdminLogin {
  /** Bare user name from the `.jenv` (`admin`); the tag sent is `user-<name>`. */
  readonly user: string;
  readonly password: string;
}

export interface LoginInfo {
  readonly version: 0 | 1 | 2;
  /** `environment-<uuid>`, or null when the server sent none. */
  readonly environTag: string | null;
  /** Facade name → versions; null when the server listed none. */
  readonly facades: ReadonlyMap<string, readonly number[]> | null;
  readonly serverVersion: string | null;
}

export interface EnsureAvailabilityParams {
  readonly numStateServers: number;
  readonly constraints?: ConstraintsValue;
  readonly series?: string;
  readonly placement?: readonly string[];
}

export interface JujuApiClient {
  readonly login: LoginInfo;
  readonly address: string;
  /** `HighAvailability.EnsureAvailability` (v1), or `Client.EnsureAvailability` on servers without that facade. */
  ensureAvailability(spec: EnsureAvailabilityParams, options?: CallOptions): Promise<StateServersChanges>;
  /** `Client.DestroyMachines` with machine ids (not tags). */
  destroyMachines(machineIds: readonly string[], force: boolean, options?: CallOptions): Promise<void>;
  /** `Pinger.Ping`. */
  ping(options?: CallOptions): Promise<void>;
  close(): void;
  readonly closed: boolean;
}

export interface ConnectJujuApiOptions extends OpenApiSocketOptions {
  readonly login: AdminLogin;
  readonly secrets?: SecretRegistry;
  readonly callTimeoutMs?: number;
}

/** Opens the transport, logs in and returns the client; the socket is closed on any failure. */
export async function connectJujuApi(options: ConnectJujuApiOptions): Promise<JujuApiClient> {
  options.secrets?.add(options.login.password);
  const ws = await openApiSocket(options);
  return createJujuApiClient(ws, options);
}

/** Logs in over an open socket (exported for tests with a plain WebSocket). */
export async function createJujuApiClient(
  socket: RpcSocket,
  options: Pick<ConnectJujuApiOptions, 'login' | 'envUuid' | 'address' | 'callTimeoutMs' | 'signal'>,
): Promise<JujuApiClient> {
  const rpc = new JujuRpc(socket, `the Juju API on ${options.address}`);
  const timeoutMs = options.callTimeoutMs;
  const base: CallOptions = timeoutMs === undefined ? {} : { timeoutMs };
  let login: LoginInfo;
  try {
    login = await adminLogin(rpc, options.login, options.address, { ...base, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    rpc.close();
    throw error;
  }
  const environTag = login.environTag ?? (options.envUuid ? `environment-${options.envUuid}` : null);
  const call = async (type: string, version: number, request: string, params: unknown, opts: CallOptions | undefined, block?: 'change' | 'remove') => {
    try {
      return await rpc.call({ type, version, request, params }, { ...base, ...opts });
    } catch (error) {
      if (error instanceof RpcError) throw jujuApiError(error.message, error.code, { call: `${type}.${request}`, address: options.address, ...(block ? { block } : {}) });
      throw error;
    }
  };
  return {
    login,
    address: options.address,
    get closed() {
      return rpc.closed;
    },
    async ensureAvailability(spec, opts) {
      if (environTag === null) throw new QuorumError('juju-api-error', 'Juju did not say which environment this is, so ensure-availability cannot name it. Check the .jenv "environ-uuid".');
      const haVersion = bestVersion(login.facades, 'HighAvailability', 1);
      const legacy = haVersion < 1;
      if (legacy && (spec.placement?.length ?? 0) > 0) {
        throw new QuorumError('juju-api-error', 'placement directives not supported with this version of Juju. Leave --to empty, or upgrade Juju.');
      }
      const wireSpec: Record<string, unknown> = { EnvironTag: environTag, 'num-state-servers': spec.numStateServers };
      if (spec.constraints !== undefined && Object.keys(spec.constraints).length > 0) wireSpec['constraints'] = spec.constraints;
      if (spec.series) wireSpec['series'] = spec.series;
      if (spec.placement && spec.placement.length > 0) wireSpec['placement'] = [...spec.placement];
      const response = await call(legacy ? 'Client' : 'HighAvailability', legacy ? 0 : haVersion, 'EnsureAvailability', { Specs: [wireSpec] }, opts, 'change');
      return ensureAvailabilityResult(response, options.address);
    },
    async destroyMachines(machineIds, force, opts) {
      await call('Client', 0, 'DestroyMachines', { MachineNames: [...machineIds], Force: force }, opts, 'remove');
    },
    async ping(opts) {
      await call('Pinger', 0, 'Ping', undefined, opts);
    },
    close: () => rpc.close(),
  };
}

/** Admin.Login v2 → v1 → v0, falling back only on "not implemented" (and v2's `"" is not a valid tag`). */
export async function adminLogin(rpc: JujuRpc, login: AdminLogin, address: string, options: CallOptions = {}): Promise<LoginInfo> {
  const tag = `user-${login.user}`;
  const request = { 'auth-tag': tag, credentials: login.password, nonce: '' };
  const attempts: readonly { version: 0 | 1 | 2; params: unknown }[] = [
    { version: 2, params: request },
    { version: 1, params: { ...request, AuthTag: tag, Password: login.password, Nonce: '' } },
    { version: 0, params: { AuthTag: tag, Password: login.password, Nonce: '' } },
  ];
  let last: unknown;
  for (const { version, params } of attempts) {
    try {
      const response = await rpc.call({ type: 'Admin', version, request: 'Login', params }, options);
      return loginInfo(version, response);
    } catch (error) {
      last = error;
      if (!(error instanceof RpcError)) throw error;
      const notImplemented = error.code === CODE_NOT_IMPLEMENTED || (version === 2 && error.message.includes('"" is not a valid tag'));
      if (!notImplemented) throw loginRefused(error.message, error.code, tag, address);
    }
  }
  const e = last as RpcError;
  throw new QuorumError('juju-api-error', `Juju at ${address} offers no Admin.Login version Quorum knows (v0–v2): ${e.message}. Is this a Juju 1.x state server?`, {
    details: { jujuError: e.message, jujuCode: e.code, address },
  });
}

function loginInfo(version: 0 | 1 | 2, response: unknown): LoginInfo {
  const r = asRecord(response);
  const facadesRaw = version === 0 ? r['Facades'] : r['facades'];
  let facades: Map<string, number[]> | null = null;
  if (Array.isArray(facadesRaw)) {
    facades = new Map();
    for (const f of facadesRaw) {
      const fr = asRecord(f);
      const name = fr['Name'];
      const versions = Array.isArray(fr['Versions']) ? fr['Versions'].filter((v): v is number => typeof v === 'number') : [];
      if (typeof name === 'string') facades.set(name, versions);
    }
  }
  const tag = version === 0 ? r['EnvironTag'] : r['environ-tag'];
  const serverVersion = r['server-version'];
  return {
    version,
    environTag: typeof tag === 'string' && tag !== '' ? tag : null,
    facades,
    serverVersion: typeof serverVersion === 'string' ? serverVersion : null,
  };
}

/** `BestAPIVersion`: the highest listed version; `whenUnlisted` when the server sent no facade list at all. */
function bestVersion(facades: LoginInfo['facades'], name: string, whenUnlisted: number): number {
  if (facades === null) return whenUnlisted;
  const versions = facades.get(name);
  return versions === undefined || versions.length === 0 ? 0 : Math.max(...versions);
}

const CHANGE_KEYS = ['added', 'maintained', 'removed', 'promoted', 'demoted', 'converted'] as const;

/** `StateServersChangeResults` with exactly one result; its `Error` (`{Message, Code}`) becomes a QuorumError. */
function ensureAvailabilityResult(response: unknown, address: string): StateServersChanges {
  const results = asRecord(response)['Results'];
  if (!Array.isArray(results) || results.length !== 1) {
    throw new QuorumError('juju-api-error', `Juju answered EnsureAvailability with ${Array.isArray(results) ? results.length : 'no'} results where one was expected. Check the environment with juju status.`);
  }
  const first = asRecord(results[0]);
  const error = first['Error'];
  if (error !== null && error !== undefined) {
    const e = asRecord(error);
    const message = typeof e['Message'] === 'string' ? e['Message'] : JSON.stringify(error);
    const code = typeof e['Code'] === 'string' ? e['Code'] : '';
    throw jujuApiError(message, code, { call: 'HighAvailability.EnsureAvailability', address, block: 'change' });
  }
  const result = asRecord(first['Result']);
  const changes: Record<string, string[]> = {};
  for (const key of CHANGE_KEYS) {
    const list = result[key];
    if (Array.isArray(list)) changes[key] = list.filter((t): t is string => typeof t === 'string');
  }
  return changes;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
