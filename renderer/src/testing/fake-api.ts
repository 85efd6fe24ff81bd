import type { SerializedError } from '../../../shared/errors';
import type { Result } from '../../../shared/ipc/envelope';
import {
  requests,
  type EventChannel,
  type EventOf,
  type QuorumApi,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
} from '../../../shared/ipc/contract';
import type { Environment, EnvironmentList, ManualEnvironmentInput } from '../../../shared/ipc/channels/environments';
import type { OperationSnapshot } from '../../../shared/ipc/operations';

/**
 * An in-memory `QuorumApi` for the renderer's unit tests. It validates every
 * request against the real contract (as main does), keeps environments and
 * operations in memory, and lets a test push events, make a channel fail or
 * make the transport drop. It is never shipped: the app always talks to a
 * real host through the bridge.
 */
export interface FakeApi extends QuorumApi {
  /** Every request, in order, as received. */
  readonly calls: { channel: RequestChannel; request: unknown }[];
  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void;
  /** The next call to `channel` answers with this error instead. */
  failNext(channel: RequestChannel, error: SerializedError): void;
  /** While true, every invoke rejects like a dropped WebSocket. */
  setDisconnected(disconnected: boolean): void;
  setOperations(operations: readonly OperationSnapshot[]): void;
  listenerCount(event: EventChannel): number;
  environmentList(): EnvironmentList;
}

export const SANDBOX_ENVIRONMENT: Environment = {
  id: 'sandbox',
  name: 'sandbox',
  kind: 'sandbox',
  source: null,
  stateServers: ['10.23.0.10', '10.23.0.11', '10.23.0.12'],
  sshUser: 'ubuntu',
  sshPort: 22,
  keyFile: null,
  environUuid: null,
  current: false,
  error: null,
};

export function jujuEnvironment(name: string, overrides: Partial<Environment> = {}): Environment {
  return {
    id: `juju:${name}`,
    name,
    kind: 'juju',
    source: `/home/op/.juju/environments/${name}.jenv`,
    stateServers: ['10.0.0.1:17070'],
    sshUser: 'ubuntu',
    sshPort: 22,
    keyFile: '/home/op/.juju/ssh/juju_id_rsa',
    environUuid: '8f3e0c52-0000-4000-8000-000000000001',
    current: false,
    error: null,
    ...overrides,
  };
}

function manualFromInput(input: ManualEnvironmentInput): Environment {
  return {
    id: `manual:${input.name}`,
    name: input.name,
    kind: 'manual',
    source: '/quorum-home/environments.json',
    stateServers: [...input.stateServers],
    sshUser: input.sshUser,
    sshPort: input.sshPort,
    keyFile: input.keyFile,
    environUuid: null,
    current: false,
    error: null,
  };
}

export function createFakeApi(options: { environments?: readonly Environment[]; selectedId?: string } = {}): FakeApi {
  let environments: Environment[] = [SANDBOX_ENVIRONMENT, ...(options.environments ?? [])];
  let selectedId = options.selectedId ?? 'sandbox';
  let operations: OperationSnapshot[] = [];
  let disconnected = false;
  const failures = new Map<RequestChannel, SerializedError>();
  const listeners = new Map<EventChannel, Set<(payload: never) => void>>();
  const calls: FakeApi['calls'] = [];

  const list = (): EnvironmentList => ({ environments: [...environments], selectedId });
  const emit = <E extends EventChannel>(event: E, payload: EventOf<E>) => {
    for (const listener of listeners.get(event) ?? []) (listener as (p: EventOf<E>) => void)(payload);
  };
  const conflict = (name: string): SerializedError => ({
    code: 'conflict',
    message: `An environment named "${name}" already exists. Choose another name.`,
    details: { field: 'name' },
  });

  function handle(channel: RequestChannel, request: unknown): unknown {
    switch (channel) {
      case 'app.info':
        return { version: '0.1.0-test', host: 'browser', platform: 'linux', quorumHome: '/quorum-home' };
      case 'operations.list':
        return { operations: [...operations] };
      case 'operations.cancel': {
        const { operationId } = request as RequestOf<'operations.cancel'>;
        return { cancelled: operations.some((op) => op.id === operationId && op.state === 'running') };
      }
      case 'environments.list':
        return list();
      case 'environments.select': {
        const { id } = request as RequestOf<'environments.select'>;
        const environment = environments.find((candidate) => candidate.id === id);
        if (environment === undefined) {
          throw { code: 'not-found', message: `No environment "${id}". Refresh the list and pick another.` };
        }
        // As main does: an environment that cannot be used is never selected.
        if (environment.error !== null) throw environment.error;
        selectedId = id;
        return list();
      }
      case 'environments.add': {
        const input = request as ManualEnvironmentInput;
        if (environments.some((environment) => environment.name === input.name)) throw conflict(input.name);
        const added = manualFromInput(input);
        environments = [...environments, added];
        emit('environments.changed', list());
        return added;
      }
      case 'environments.update': {
        const { id, input } = request as RequestOf<'environments.update'>;
        const existing = environments.find((environment) => environment.id === id);
        if (existing?.kind !== 'manual') {
          throw { code: 'not-found', message: `No manual environment "${id}". It may have been removed.` };
        }
        if (environments.some((environment) => environment.name === input.name && environment.id !== id)) {
          throw conflict(input.name);
        }
        const updated = manualFromInput(input as ManualEnvironmentInput);
        environments = environments.map((environment) => (environment.id === id ? updated : environment));
        if (selectedId === id) selectedId = updated.id;
        emit('environments.changed', list());
        return updated;
      }
      case 'environments.remove': {
        const { id } = request as RequestOf<'environments.remove'>;
        environments = environments.filter((environment) => environment.id !== id);
        if (selectedId === id) selectedId = 'sandbox';
        emit('environments.changed', list());
        return {};
      }
      case 'schedule.get':
        // No schedule: pages that show the Schedule panel render it empty unless a test says otherwise.
        return { environmentId: (request as { environmentId: string }).environmentId, settings: null, nextRun: null, running: false, lastRun: null, failure: null };
      default:
        throw { code: 'unknown-channel', message: `The fake API does not implement ${channel}.` };
    }
  }

  return {
    calls,
    emit,
    failNext: (channel, error) => failures.set(channel, error),
    setDisconnected: (value) => {
      disconnected = value;
    },
    setOperations: (next) => {
      operations = [...next];
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
    environmentList: list,

    async invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>> {
      calls.push({ channel, request });
      await Promise.resolve();
      if (disconnected) throw new Error('WebSocket is closed');
      const failure = failures.get(channel);
      if (failure !== undefined) {
        failures.delete(channel);
        return { ok: false, error: failure };
      }
      const parsed = requests[channel].request.safeParse(request);
      if (!parsed.success) {
        // The same sentence main's dispatcher builds (`describeIssues`), with no details.
        const parts = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.map(String).join('.') || 'request'}: ${issue.message}`);
        const more = parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : '';
        const message = `Invalid request for ${channel}: ${parts.join('; ')}${more}. Correct the value and try again.`;
        return { ok: false, error: { code: 'invalid-input', message } };
      }
      try {
        return { ok: true, value: handle(channel, parsed.data) as ResponseOf<C> };
      } catch (error) {
        return { ok: false, error: error as SerializedError };
      }
    },

    on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
  };
}

/** A running operation snapshot for tray tests. */
export function operationSnapshot(overrides: Partial<OperationSnapshot> = {}): OperationSnapshot {
  return {
    id: 'op-backup-000001',
    kind: 'backup.create',
    environmentId: 'sandbox',
    title: 'Create backup of sandbox',
    state: 'running',
    startedAt: '2025-01-01T10:00:00.000Z',
    progress: { phase: 'dumping', message: 'Dumping collection 3 of 12 (juju.units)', fraction: 0.25 },
    log: [],
    ...overrides,
  };
}
