import type { JujuDbClient } from '../../services/mongo/juju-db-client';
import { field } from './codec';
import type { ConnectionContext } from './context';
import { isClient } from './context';
import { ApiError, operationBlocked, toWireError } from './errors';
import type { Facade } from './root';
import { C, type JujuState } from './state';

/**
 * `juju block …` as Juju 1.25 stores it (`state/block.go`, `blocksC`):
 * one document per block type in `juju.blocks`, `_id` `<env-uuid>:<n>` from
 * the `block` sequence, `{env-uuid, tag: environment-<uuid>, type, message}`
 * with `type` 0 destroy-environment, 1 remove-object, 2 all-changes. The
 * `Block` facade (v1) switches them; `BlockChecker` answers blocked
 * operations with the block's message and code `operation is blocked`.
 */

/** `state.BlockType`, with the CLI's and the API's names. */
export const BLOCK_TYPES = {
  'destroy-environment': { type: 0, api: 'BlockDestroy' },
  'remove-object': { type: 1, api: 'BlockRemove' },
  'all-changes': { type: 2, api: 'BlockChange' },
} as const;

export type BlockKind = keyof typeof BLOCK_TYPES;

function kindOfApiName(name: string): BlockKind | undefined {
  return (Object.keys(BLOCK_TYPES) as BlockKind[]).find((k) => BLOCK_TYPES[k].api === name);
}

/** `st.sequence(name)`: the counter before the increment (0 for a new sequence), as mgo's `Apply` returns it. */
export async function nextSequence(client: JujuDbClient, envUuid: string, name: string): Promise<number> {
  const reply = await client.command(
    'juju',
    {
      findAndModify: C.sequence.collection,
      query: { _id: `${envUuid}:${name}` },
      update: { $set: { name, 'env-uuid': envUuid }, $inc: { counter: 1 } },
      upsert: true,
      new: false,
    },
    { secondaryOk: false },
  );
  const before = reply['value'] as { counter?: unknown } | null | undefined;
  return typeof before?.counter === 'number' ? before.counter : 0;
}

/** `GetBlockForType`: the block document of a kind, or null. */
export async function getBlock(state: JujuState, kind: BlockKind): Promise<{ message: string } | null> {
  const doc = await state.findOne(C.blocks, { 'env-uuid': state.envUuid, type: BLOCK_TYPES[kind].type });
  if (doc === null) return null;
  return { message: typeof doc['message'] === 'string' ? doc['message'] : '' };
}

/** `BlockChecker.ChangeAllowed`. */
export async function changeAllowed(state: JujuState): Promise<void> {
  const block = await getBlock(state, 'all-changes');
  if (block !== null) throw operationBlocked(block.message);
}

/** `BlockChecker.RemoveAllowed`: a remove block, then a change block. */
export async function removeAllowed(state: JujuState): Promise<void> {
  const block = (await getBlock(state, 'remove-object')) ?? (await getBlock(state, 'all-changes'));
  if (block !== null) throw operationBlocked(block.message);
}

/**
 * `SwitchBlockOn` (message: string) or `SwitchBlockOff` (message: null),
 * with 1.25's errors when the block already is in that state. Also the
 * sandbox control's `setBlock`.
 */
export async function switchBlock(state: JujuState, kind: BlockKind, message: string | null): Promise<void> {
  const { type, api } = BLOCK_TYPES[kind];
  await state.run(async (client) => {
    const existing = await client.findOne(C.blocks, { 'env-uuid': state.envUuid, type }, { secondaryOk: false });
    if (message === null) {
      if (existing === null) throw new ApiError(`block ${api} is already OFF`);
      await client.remove(C.blocks, { _id: existing['_id'] }, { justOne: true });
      return;
    }
    if (existing !== null) throw new ApiError(`block ${api} is already ON`);
    const id = await nextSequence(client, state.envUuid, 'block');
    await client.insert(C.blocks, [
      { _id: state.docId(String(id)), 'env-uuid': state.envUuid, tag: `environment-${state.envUuid}`, type, ...(message !== '' ? { message } : {}), 'txn-revno': 2 },
    ]);
  });
}

function blockSwitch(params: unknown): { kind: BlockKind; message: string } {
  const name = field(params, 'type');
  const kind = typeof name === 'string' ? kindOfApiName(name) : undefined;
  if (kind === undefined) throw new ApiError(`unknown block type ${String(name ?? '')}`);
  const message = field(params, 'message');
  return { kind, message: typeof message === 'string' ? message : '' };
}

/** The `Block` facade, v1 in 1.25 (users only). */
export const blockFacade: Facade<ConnectionContext> = {
  name: 'Block',
  version: 1,
  allow: isClient,
  methods: {
    List: async (ctx) => {
      const { state } = ctx.server;
      const docs = await state.find(C.blocks, { 'env-uuid': state.envUuid });
      const results = docs.map((d) => {
        const kind = (Object.keys(BLOCK_TYPES) as BlockKind[]).find((k) => BLOCK_TYPES[k].type === d['type']);
        return {
          result: { id: String(d['_id']), tag: String(d['tag'] ?? ''), type: kind ? BLOCK_TYPES[kind].api : '', ...(d['message'] ? { message: String(d['message']) } : {}) },
        };
      });
      return results.length > 0 ? { results } : {};
    },
    SwitchBlockOn: async (ctx, params) => {
      const { kind, message } = blockSwitch(params);
      return { Error: toWireError(await switchBlock(ctx.server.state, kind, message).catch((e: unknown) => e)) };
    },
    SwitchBlockOff: async (ctx, params) => {
      const { kind } = blockSwitch(params);
      return { Error: toWireError(await switchBlock(ctx.server.state, kind, null).catch((e: unknown) => e)) };
    },
  },
};
