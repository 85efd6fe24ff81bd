import { parseMachineDoc } from '../../../shared/model/juju-documents';
import { removeAllowed } from './blocks';
import { field } from './codec';
import { isClient, type ConnectionContext } from './context';
import { ApiError } from './errors';
import { ensureAvailability } from './high-availability';
import type { Facade } from './root';
import { C, LIFE } from './state';

/**
 * The parts of the `Client` facade (v0) the sandbox serves:
 * `DestroyMachines` (`juju remove-machine [--force]`, 1.25
 * `apiserver/client/client.go`) and `EnsureAvailability`, kept in 1.25 for
 * 1.20 clients with the same params and result as HighAvailability's.
 */

/**
 * `Machine.Destroy` / `ForceDestroy`: state servers refuse both; a machine
 * with units refuses a plain destroy. Success marks it dying (force: dead,
 * standing in for the cleanup worker that 1.25's force schedules); the
 * sandbox's provisioner stops and removes it.
 */
async function destroyMachine(ctx: ConnectionContext, id: string, force: boolean): Promise<'skipped' | 'destroyed'> {
  const { state } = ctx.server;
  const doc = await state.findOne(C.machines, { _id: state.docId(id) });
  const m = doc === null ? null : parseMachineDoc(doc);
  if (doc === null || m === null) throw new ApiError(`machine ${id} does not exist`);
  if (!force && m.life !== 'alive') return 'skipped';
  if (!force) await removeAllowed(state);
  if (m.jobs.includes('JobManageEnviron')) throw new ApiError(`machine ${id} is required by the environment`);
  const principals = Array.isArray(doc['principals']) ? (doc['principals'] as unknown[]).map(String) : [];
  if (!force && principals.length > 0) throw new ApiError(`machine ${id} has unit ${JSON.stringify(principals[0])} assigned`);
  const life = force ? LIFE.dead : LIFE.dying;
  if (m.life === 'dead' || (m.life === 'dying' && life === LIFE.dying)) return 'skipped';
  await state.run((c) => c.update(C.machines, { _id: state.docId(id) }, { $set: { life }, $inc: { 'txn-revno': 1 } }));
  return 'destroyed';
}

/** `destroyErr("machines", ids, errs)`. */
export function destroyError(ids: readonly string[], errors: readonly string[]): ApiError | null {
  if (errors.length === 0) return null;
  const what = errors.length === ids.length ? 'no machines were destroyed' : 'some machines were not destroyed';
  return new ApiError(`${what}: ${errors.join('; ')}`);
}

export async function destroyMachines(ctx: ConnectionContext, params: unknown): Promise<unknown> {
  const names = field(params, 'MachineNames');
  const ids = Array.isArray(names) ? names.map(String) : [];
  const force = field(params, 'Force') === true;
  const errors: string[] = [];
  for (const id of ids) {
    try {
      await destroyMachine(ctx, id, force);
    } catch (err) {
      // The block check's error ends the whole call at once.
      if (err instanceof ApiError && err.code === 'operation is blocked') throw err;
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  const error = destroyError(ids, errors);
  if (error !== null) throw error;
  return {};
}

export const clientFacade: Facade<ConnectionContext> = {
  name: 'Client',
  version: 0,
  allow: isClient,
  methods: { DestroyMachines: destroyMachines, EnsureAvailability: ensureAvailability },
};
