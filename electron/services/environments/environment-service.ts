import os from 'node:os';
import { QuorumError } from '../../../shared/errors';
import type { Environment, EnvironmentList, ManualEnvironmentInput } from '../../../shared/ipc/channels/environments';
import type { SandboxDescription } from '../../sandbox/types';
import type { Handlers } from '../ipc/dispatcher';
import type { EventHub } from '../ipc/event-hub';
import type { Logger } from '../log';
import { discoverJujuEnvironments } from './juju-home';
import { ManualEnvironmentStore } from './manual-store';
import { SettingsStore } from './settings-store';
import type { ConnectionTarget } from './target';
import { targetForEnvironment, targetForSandbox } from './targets';

export const SANDBOX_ID = 'sandbox';

/** What the environments service needs from the sandbox launcher. */
export interface SandboxProvider {
  /** Starts the sandbox when needed and describes it. */
  describe(): Promise<SandboxDescription>;
  /** The description of a running sandbox, without starting one. */
  peek(): SandboxDescription | null;
}

/**
 * The environments the console can act on: the built-in sandbox (always
 * present, the default), Juju's `.jenv` files, and environments added by
 * hand. It persists the selection, emits `environments.changed`, and
 * resolves any environment into a `ConnectionTarget`.
 */
export interface EnvironmentService {
  list(): Promise<EnvironmentList>;
  get(id: string): Promise<Environment>;
  selectedId(): Promise<string>;
  select(id: string): Promise<EnvironmentList>;
  add(input: ManualEnvironmentInput): Promise<Environment>;
  update(id: string, input: ManualEnvironmentInput): Promise<Environment>;
  remove(id: string): Promise<void>;
  resolveTarget(id: string): Promise<ConnectionTarget>;
  /** Called after the selection changes (the sandbox launcher starts the sandbox when it is chosen). */
  onSelected(listener: (id: string) => void): () => void;
}

export interface EnvironmentServiceOptions {
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir?: string;
  readonly events: Pick<EventHub, 'emit'>;
  readonly sandbox: SandboxProvider;
  readonly log: Logger;
}

const manualId = (name: string) => `manual:${name}`;

export function createEnvironmentService(options: EnvironmentServiceOptions): EnvironmentService {
  const homedir = options.homedir ?? os.homedir();
  const log = options.log.child('environments');
  const manual = new ManualEnvironmentStore(options.home);
  const settings = new SettingsStore(options.home);
  const selectedListeners = new Set<(id: string) => void>();
  // Mutations run one at a time so two quick edits cannot lose each other's write.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };

  const sandboxEnvironment = (): Environment => {
    const d = options.sandbox.peek();
    return {
      id: SANDBOX_ID,
      name: 'sandbox',
      kind: 'sandbox',
      source: null,
      stateServers: d ? d.machines.filter((m) => m.stateServer).map((m) => m.address) : [],
      sshUser: d?.ssh.user ?? 'ubuntu',
      sshPort: 22,
      keyFile: d?.ssh.privateKeyPath ?? null,
      environUuid: d?.environment.uuid ?? null,
      current: false,
      error: null,
    };
  };

  const manualEnvironment = (input: ManualEnvironmentInput): Environment => ({
    id: manualId(input.name),
    name: input.name,
    kind: 'manual',
    source: manual.file,
    stateServers: [...input.stateServers],
    sshUser: input.sshUser,
    sshPort: input.sshPort,
    keyFile: input.keyFile,
    environUuid: null,
    current: false,
    error: null,
  });

  /** Every environment, with the CA certificates of `.jenv` ones for `resolveTarget`. */
  const collect = async () => {
    const [juju, stored] = await Promise.all([discoverJujuEnvironments({ env: options.env, homedir }), manual.read()]);
    const caCerts = new Map(juju.environments.map((j) => [j.environment.id, j.caCertPem]));
    const environments: Environment[] = [sandboxEnvironment(), ...juju.environments.map((j) => j.environment)];
    if (stored.ok) environments.push(...stored.environments.map(manualEnvironment));
    else {
      log.warn(stored.message);
      // Listed so the operator sees why their environments are missing.
      environments.push({
        id: 'manual-store',
        name: 'environments.json',
        kind: 'manual',
        source: manual.file,
        stateServers: [],
        sshUser: 'ubuntu',
        sshPort: 22,
        keyFile: null,
        environUuid: null,
        current: false,
        error: { code: 'environment-invalid', message: stored.message },
      });
    }
    return { environments, caCerts };
  };

  const list = async (): Promise<EnvironmentList> => {
    const { environments } = await collect();
    const saved = (await settings.read()).selectedEnvironmentId;
    const selected = environments.find((e) => e.id === saved && e.error === null);
    return { environments, selectedId: selected?.id ?? SANDBOX_ID };
  };

  const changed = async (): Promise<EnvironmentList> => {
    const current = await list();
    options.events.emit('environments.changed', current);
    return current;
  };

  const find = async (id: string): Promise<{ environment: Environment; caCertPem: string | null }> => {
    const { environments, caCerts } = await collect();
    const environment = environments.find((e) => e.id === id);
    if (environment === undefined) {
      throw new QuorumError('not-found', `There is no environment "${id}" any more. Pick one from the list.`);
    }
    return { environment, caCertPem: caCerts.get(id) ?? null };
  };

  const refuseNameClash = (name: string, environments: readonly Environment[], except?: string): void => {
    const lower = name.toLowerCase();
    const clash = environments.find((e) => e.id !== except && e.id !== 'manual-store' && e.name.toLowerCase() === lower);
    if (clash !== undefined) {
      throw new QuorumError(
        'conflict',
        clash.kind === 'manual'
          ? `An environment named "${name}" already exists. Choose another name or edit that one.`
          : `"${name}" is already the name of ${clash.kind === 'sandbox' ? 'the built-in sandbox' : 'a Juju environment'}. Choose another name.`,
      );
    }
  };

  const notifySelected = (id: string): void => {
    for (const listener of [...selectedListeners]) {
      try {
        listener(id);
      } catch (error) {
        log.error('A selection listener failed', { error: String(error) });
      }
    }
  };

  return {
    list,
    get: async (id) => (await find(id)).environment,
    selectedId: async () => (await list()).selectedId,
    select: (id) =>
      serialized(async () => {
        const { environment } = await find(id);
        if (environment.error !== null) throw new QuorumError(environment.error.code, environment.error.message);
        await settings.write({ selectedEnvironmentId: id });
        log.info('Selected environment', { id });
        const result = await changed();
        notifySelected(id);
        return result;
      }),
    add: (input) =>
      serialized(async () => {
        const { environments } = await collect();
        refuseNameClash(input.name, environments);
        await manual.update((current) => [...current, input]);
        log.info('Added an environment', { id: manualId(input.name) });
        await changed();
        return manualEnvironment(input);
      }),
    update: (id, input) =>
      serialized(async () => {
        const { environment } = await find(id);
        if (environment.kind !== 'manual' || id === 'manual-store') {
          throw new QuorumError('forbidden', `${environment.name} is not an environment added by hand, so it cannot be edited here.`);
        }
        const { environments } = await collect();
        refuseNameClash(input.name, environments, id);
        await manual.update((current) => current.map((e) => (manualId(e.name) === id ? input : e)));
        const newId = manualId(input.name);
        if (newId !== id && (await settings.read()).selectedEnvironmentId === id) await settings.write({ selectedEnvironmentId: newId });
        log.info('Updated an environment', { id, newId });
        await changed();
        return manualEnvironment(input);
      }),
    remove: (id) =>
      serialized(async () => {
        const { environment } = await find(id);
        if (environment.kind !== 'manual' || id === 'manual-store') {
          throw new QuorumError(
            'forbidden',
            environment.kind === 'juju'
              ? `${environment.name} comes from Juju's configuration (${environment.source}). Remove that file to remove it.`
              : 'The sandbox is built in and cannot be removed.',
          );
        }
        await manual.update((current) => current.filter((e) => manualId(e.name) !== id));
        const wasSelected = (await settings.read()).selectedEnvironmentId === id;
        if (wasSelected) await settings.write({ selectedEnvironmentId: SANDBOX_ID });
        log.info('Removed an environment', { id });
        await changed();
        if (wasSelected) notifySelected(SANDBOX_ID);
      }),
    resolveTarget: async (id) => {
      if (id === SANDBOX_ID) return targetForSandbox(await options.sandbox.describe());
      const { environment, caCertPem } = await find(id);
      return targetForEnvironment(environment, caCertPem, homedir);
    },
    onSelected(listener) {
      selectedListeners.add(listener);
      return () => {
        selectedListeners.delete(listener);
      };
    },
  };
}

/** The `environments.*` channel handlers. */
export function environmentHandlers(service: EnvironmentService): Handlers {
  return {
    'environments.list': () => service.list(),
    'environments.select': (req) => service.select(req.id),
    'environments.add': (req) => service.add(req),
    'environments.update': (req) => service.update(req.id, req.input),
    'environments.remove': async (req) => {
      await service.remove(req.id);
      return {};
    },
  };
}
