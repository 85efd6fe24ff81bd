import type { SerializedError } from '../../../../shared/errors';
import type { Result } from '../../../../shared/ipc/envelope';
import type {
  Environment,
  EnvironmentList,
  ManualEnvironmentInput,
} from '../../../../shared/ipc/channels/environments';
import type { SliceFactory } from '../app-state';
import { call } from '../call';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface EnvironmentsSlice {
  readonly environments: {
    readonly status: LoadStatus;
    readonly items: readonly Environment[];
    /** The id main says is selected; null until the first list arrives. */
    readonly selectedId: string | null;
    /** Why the list could not be loaded. */
    readonly loadError: SerializedError | null;
    /** The last selection main refused, and why (shown above the page). */
    readonly selectError: { readonly id: string; readonly error: SerializedError } | null;
  };
  loadEnvironments(): Promise<void>;
  selectEnvironment(id: string): Promise<void>;
  /** Resolves to the envelope so forms can show field errors beside the fields. */
  addEnvironment(input: ManualEnvironmentInput): Promise<Result<Environment>>;
  updateEnvironment(id: string, input: ManualEnvironmentInput): Promise<Result<Environment>>;
  removeEnvironment(id: string): Promise<Result<Record<string, never>>>;
  /** Applies a list pushed by main (`environments.changed`) or returned by a request. */
  applyEnvironmentList(list: EnvironmentList): void;
}

export const createEnvironmentsSlice: SliceFactory<EnvironmentsSlice> = (api) => (set, get) => ({
  environments: { status: 'idle', items: [], selectedId: null, loadError: null, selectError: null },

  applyEnvironmentList: (list) =>
    set((state) => ({
      environments: {
        ...state.environments,
        status: 'ready',
        items: list.environments,
        selectedId: list.selectedId,
        loadError: null,
      },
    })),

  loadEnvironments: async () => {
    set((state) => ({ environments: { ...state.environments, status: 'loading' } }));
    const result = await call(api, 'environments.list', {});
    if (result.ok) {
      get().applyEnvironmentList(result.value);
    } else {
      set((state) => ({ environments: { ...state.environments, status: 'error', loadError: result.error } }));
    }
  },

  selectEnvironment: async (id) => {
    const result = await call(api, 'environments.select', { id });
    if (result.ok) {
      get().applyEnvironmentList(result.value);
      set((state) => ({ environments: { ...state.environments, selectError: null } }));
    } else {
      set((state) => ({ environments: { ...state.environments, selectError: { id, error: result.error } } }));
    }
  },

  addEnvironment: async (input) => {
    const result = await call(api, 'environments.add', input);
    if (result.ok) await get().loadEnvironments();
    return result;
  },

  updateEnvironment: async (id, input) => {
    const result = await call(api, 'environments.update', { id, input });
    if (result.ok) await get().loadEnvironments();
    return result;
  },

  removeEnvironment: async (id) => {
    const result = await call(api, 'environments.remove', { id });
    if (result.ok) await get().loadEnvironments();
    return result as Result<Record<string, never>>;
  },
});
