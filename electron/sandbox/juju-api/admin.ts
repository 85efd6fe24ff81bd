import { timingSafeEqual } from 'node:crypto';
import { machineIdFromTag } from '../../../shared/ha/placement';
import { parseMachineDoc } from '../../../shared/model/juju-documents';
import { API_PORT } from '../model';
import { agentPasswordHash } from '../seed/juju-docs';
import { field } from './codec';
import type { ConnectionContext, Principal } from './context';
import { ApiError, CODES, badCreds, goQuote } from './errors';
import type { RootMode } from './root';
import { API_HOST_PORTS_KEY, C, STATE_SERVERS_KEY, type JujuState } from './state';

/**
 * `Admin.Login` v0/v1/v2 (`apiserver/admin.go` `doLogin`, 1.25): the restore
 * validator first (agents other than this machine are turned away, users
 * get a restricted root), then the credentials (`user-admin` against the
 * environment admin's password; machine and unit agents against their
 * document's `passwordhash`, machines also against their nonce), then the
 * result with the API addresses, tags and facade versions.
 */

/** juju/names kinds a tag may have (1.25); anything else is "not a valid tag". */
const TAG_KINDS = new Set(['machine', 'unit', 'user', 'environment', 'service', 'relation', 'network', 'action', 'volume', 'filesystem', 'storage', 'subnet', 'space', 'ipaddress', 'charm']);
const USER_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9.+-]*[a-zA-Z0-9])?(?:@[a-zA-Z0-9](?:[a-zA-Z0-9.+-]*[a-zA-Z0-9])?)?$/;
const UNIT_TAG = /^([a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)-(0|[1-9][0-9]*)$/;

export interface LoginRequest {
  readonly authTag: string;
  readonly credentials: string;
  readonly nonce: string;
}

type ParsedTag = { readonly kind: 'user'; readonly name: string } | { readonly kind: 'machine'; readonly id: string } | { readonly kind: 'unit'; readonly name: string } | { readonly kind: 'other' };

/** `names.ParseTag`, for the kinds a login can name. */
export function parseAuthTag(tag: string): ParsedTag {
  const dash = tag.indexOf('-');
  const kind = dash > 0 ? tag.slice(0, dash) : '';
  const rest = dash > 0 ? tag.slice(dash + 1) : '';
  if (!TAG_KINDS.has(kind)) throw new ApiError(`${goQuote(tag)} is not a valid tag`);
  const invalid = () => new ApiError(`${goQuote(tag)} is not a valid ${kind} tag`);
  if (kind === 'user') {
    if (!USER_NAME.test(rest)) throw invalid();
    return { kind: 'user', name: rest };
  }
  if (kind === 'machine') {
    const id = machineIdFromTag(tag);
    if (id === null) throw invalid();
    return { kind: 'machine', id };
  }
  if (kind === 'unit') {
    const m = UNIT_TAG.exec(rest);
    if (m === null) throw invalid();
    return { kind: 'unit', name: `${m[1]}/${m[2]}` };
  }
  return { kind: 'other' };
}

/** v0 sends `params.Creds`, v1/v2 `params.LoginRequest` (Go matches keys ignoring case). */
export function loginRequest(version: number, params: unknown): LoginRequest {
  const s = (name: string) => {
    const v = field(params, name);
    return typeof v === 'string' ? v : '';
  };
  if (version === 0) return { authTag: s('AuthTag'), credentials: s('Password'), nonce: s('Nonce') };
  return { authTag: s('auth-tag'), credentials: s('credentials'), nonce: s('nonce') };
}

function samePassword(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `juju.restoreInfo` `_id: "current"` → the root the restore validator picks for users. */
export async function restoreMode(state: JujuState): Promise<RootMode | null> {
  const doc = await state.findOne(C.restoreInfo, { _id: 'current' });
  const status = doc?.['status'];
  if (status === 'PENDING') return 'about-to-restore';
  if (status === 'RESTORING') return 'restoring';
  return null;
}

async function checkCreds(ctx: ConnectionContext, tag: string, parsed: ParsedTag, req: LoginRequest): Promise<Principal> {
  const { state } = ctx.server;
  if (parsed.kind === 'user') {
    // Only the environment's admin exists in the sandbox (`admin`, local users may say `admin@local`).
    if (parsed.name !== 'admin' && parsed.name !== 'admin@local') throw badCreds();
    if (!samePassword(req.credentials, await ctx.server.adminPassword())) throw badCreds();
    return { kind: 'user', tag: 'user-admin', name: 'admin' };
  }
  if (parsed.kind === 'machine') {
    const doc = await state.findOne(C.machines, { _id: state.docId(parsed.id) });
    if (doc === null) throw badCreds();
    const hash = typeof doc['passwordhash'] === 'string' ? doc['passwordhash'] : '';
    if (hash === '' || !samePassword(agentPasswordHash(req.credentials), hash)) throw badCreds();
    // Machine.CheckProvisioned: the agent must run on the instance it was provisioned with.
    if (typeof doc['nonce'] !== 'string' || doc['nonce'] === '' || doc['nonce'] !== req.nonce) {
      throw new ApiError(`machine ${parsed.id} not provisioned`, CODES.notProvisioned);
    }
    const manager = parseMachineDoc(doc)?.jobs.includes('JobManageEnviron') ?? false;
    return { kind: 'machine', tag, id: parsed.id, manager };
  }
  if (parsed.kind === 'unit') {
    const doc = await state.findOne(C.units, { _id: state.docId(parsed.name) });
    const hash = typeof doc?.['passwordhash'] === 'string' ? doc['passwordhash'] : '';
    if (hash === '' || !samePassword(agentPasswordHash(req.credentials), hash)) throw badCreds();
    return { kind: 'unit', tag };
  }
  throw badCreds();
}

/** `st.APIHostPorts()`: what the peergrouper published, else every state server's addresses on 17070. */
async function apiHostPorts(state: JujuState): Promise<{ Value: string; Type: string; NetworkName: string; Scope: string; Port: number }[][]> {
  const published = await state.findOne(C.stateServers, { _id: API_HOST_PORTS_KEY });
  const lists = published?.['apihostports'];
  if (Array.isArray(lists) && lists.length > 0) {
    return lists.map((list) =>
      (Array.isArray(list) ? list : []).map((hp: Record<string, unknown>) => ({
        Value: String(hp['value'] ?? ''),
        Type: String(hp['addresstype'] ?? 'ipv4'),
        NetworkName: String(hp['networkname'] ?? ''),
        Scope: String(hp['networkscope'] ?? ''),
        Port: Number(hp['port'] ?? API_PORT),
      })),
    );
  }
  const servers = await state.findOne(C.stateServers, { _id: STATE_SERVERS_KEY });
  const ids = Array.isArray(servers?.['machineids']) ? (servers['machineids'] as unknown[]).map(String) : [];
  const docs = await state.find(C.machines, { _id: { $in: ids.map((id) => state.docId(id)) } });
  return docs.flatMap((d) => {
    const m = parseMachineDoc(d);
    if (m === null || m.addresses.length === 0) return [];
    return [m.addresses.map((value) => ({ Value: value, Type: 'ipv4', NetworkName: '', Scope: 'local-cloud', Port: API_PORT }))];
  });
}

/**
 * Logs the connection in and returns the result for `version`. Sets the
 * connection's principal and root on success.
 */
export async function login(ctx: ConnectionContext, version: number, params: unknown, facades: { Name: string; Versions: number[] }[]): Promise<unknown> {
  if (ctx.principal !== null) throw new ApiError('already logged in');
  const req = loginRequest(version, params);
  const parsed = parseAuthTag(req.authTag);
  const { server } = ctx;
  const restore = await restoreMode(server.state);
  if (restore !== null && parsed.kind !== 'user' && !(parsed.kind === 'machine' && parsed.id === server.machineId)) {
    throw new ApiError(`login for ${goQuote(req.authTag)} blocked because restore is in progress`);
  }
  const principal = await checkCreds(ctx, req.authTag, parsed, req);
  if (ctx.principal !== null) throw new ApiError('already logged in');
  const serverOnly = version > 1 && ctx.pathUuid === '';
  ctx.principal = principal;
  ctx.mode = principal.kind === 'user' && restore !== null ? restore : serverOnly ? 'server-only' : 'full';
  if (principal.kind !== 'user') ctx.pinged();

  const envTag = `environment-${server.state.envUuid}`;
  const servers = await apiHostPorts(server.state);
  let last: Date | undefined;
  if (principal.kind === 'user') {
    last = server.lastLogins.get(principal.name);
    server.lastLogins.set(principal.name, new Date());
  }
  if (version === 0) return { Servers: servers, EnvironTag: envTag, LastConnection: last?.toISOString() ?? null, Facades: facades };
  return {
    servers,
    'environ-tag': serverOnly ? '' : envTag,
    'server-tag': envTag,
    ...(principal.kind === 'user' ? { 'user-info': { 'display-name': '', identity: principal.tag, ...(last ? { 'last-connection': last.toISOString() } : {}) } } : {}),
    facades,
    'server-version': server.serverVersion,
  };
}
