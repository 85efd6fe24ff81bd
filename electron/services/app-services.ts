import os from 'node:os';
import packageJson from '../../package.json';
import { SecretRegistry } from '../../shared/redact';
import { createEnvironmentService, environmentHandlers, SANDBOX_ID, type EnvironmentService } from './environments/environment-service';
import { createDispatcher, type Dispatcher } from './ipc/dispatcher';
import { createEventHub, type EventHub } from './ipc/event-hub';
import { createLogger, type Logger, type LogLevel } from './log';
import { createOperationManager, operationHandlers, type OperationManager } from './operations/operation-manager';
import { childProcessStarter, createSandboxLauncher, type SandboxLauncher, type SandboxStarter } from './sandbox-launcher';
import { ConnectionManager } from './connection/connection-manager';
import { registerConnectionHandlers } from './connection/connection-handlers';
import { registerTopology } from './topology/register-topology';
import type { TopologyService } from './topology/topology-service';
import { registerBackups } from './backups/register-backups';
import { registerHa } from './ha/register-ha';
import { registerRestore } from './restore/register-restore';
import type { Clock } from './schedule/clock';
import { ConnectionLeases } from './schedule/connection-leases';
import { registerSchedule } from './schedule/register-schedule';

export type HostKind = 'electron' | 'browser';

export interface AppServicesOptions {
  /** `QUORUM_HOME`: every file Quorum writes lives under it. */
  readonly home: string;
  readonly host: HostKind;
  /** Process environment (`JUJU_HOME`, `JUJU_ENV`, `HOME`…), passed in so tests control it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Home directory for `~/.juju` (default `os.homedir()`). */
  readonly homedir?: string;
  /** Log to stderr too (default true). */
  readonly logToStderr?: boolean;
  /** How to start the sandbox (default: a child process from the sources or `out/main/sandbox-process.js`). */
  readonly sandboxStarter?: SandboxStarter;
  /** Shows a file in the OS file manager (Electron's `shell.showItemInFolder`); absent in browser mode. */
  readonly reveal?: (file: string) => Promise<void> | void;
  /** A desktop notification (Electron's `Notification`), for scheduled backups; absent in browser mode. */
  readonly notify?: (title: string, body: string) => void;
  /** The scheduler's clock (default: the system's); only the browser host's e2e option sets another (`schedule/test-clock.ts`). */
  readonly scheduleClock?: Clock;
}

/**
 * Everything the main process runs, in one place, independent of the host:
 * Electron's main and browser mode both build this and only differ in how
 * they carry `dispatcher` and `events` to the renderer.
 */
export interface AppServices {
  readonly home: string;
  readonly secrets: SecretRegistry;
  readonly log: Logger;
  readonly dispatcher: Dispatcher;
  readonly events: EventHub;
  readonly operations: OperationManager;
  readonly environments: EnvironmentService;
  readonly sandbox: SandboxLauncher;
  /** SSH, agent.conf and juju-db sessions to the selected environment's state servers. */
  readonly connections: ConnectionManager;
  /** The hosts say which windows/tabs can be seen (`audience`), so topology polling backs off while nobody watches. */
  readonly topology: Pick<TopologyService, 'audience'>;
  /** Stops every service (cancels operations, stops the sandbox); idempotent. */
  close(): Promise<void>;
}

/**
 * The composition root. A feature adds its service here with a line or two:
 * create it from the core services, `dispatcher.register(itsHandlers)`, and
 * push its `close` onto `closers` (they run in reverse order).
 */
export function createAppServices(options: AppServicesOptions): AppServices {
  const secrets = new SecretRegistry();
  const level = parseLevel(options.env.QUORUM_LOG_LEVEL);
  const log = createLogger({ secrets, home: options.home, stderr: options.logToStderr ?? true, ...(level ? { level } : {}) });
  const events = createEventHub({ log });
  const operations = createOperationManager({ events, secrets, log });
  const dispatcher = createDispatcher(operationHandlers(operations), { log, secrets });
  // Run in reverse order on close; running operations are cancelled before any of them.
  const closers: Array<() => Promise<void>> = [];

  dispatcher.register({
    'app.info': async () => ({
      version: packageJson.version,
      host: options.host,
      platform: `${os.platform()}-${os.arch()}`,
      quorumHome: options.home,
    }),
  });

  const sandbox = createSandboxLauncher({ home: options.home, log, start: options.sandboxStarter ?? childProcessStarter() });
  closers.push(() => sandbox.stop());
  const environments = createEnvironmentService({
    home: options.home,
    env: options.env,
    ...(options.homedir === undefined ? {} : { homedir: options.homedir }),
    events,
    sandbox,
    log,
  });
  dispatcher.register(environmentHandlers(environments));
  // Selecting the sandbox warms it up in the background; a failure is logged and retried on next use.
  environments.onSelected((id) => {
    if (id === SANDBOX_ID) sandbox.ensureStarted().catch(() => {});
  });
  // One environment connected at a time: selecting another closes the previous one's sessions.
  const connections = new ConnectionManager({ quorumHome: options.home, secrets, logger: log.child('connection') });
  registerConnectionHandlers({ manager: connections, secrets, dispatcher, events });
  closers.push(() => connections.close());
  const topology = registerTopology({ dispatcher, events, log, environments, connections, sandbox });
  closers.push(topology.close);
  // Scheduled runs lease a connection of their own; outside a run `leases.open` is the manager's.
  const leases = new ConnectionLeases(connections);
  const backups = registerBackups({ home: options.home, dispatcher, events, log, operations, environments, connections: leases, ...(options.reveal ? { reveal: options.reveal } : {}) });
  const schedule = registerSchedule({ home: options.home, dispatcher, events, log, operations, environments, leases, backups: backups.service, ...(options.notify ? { notify: options.notify } : {}), ...(options.scheduleClock ? { clock: options.scheduleClock } : {}) });
  closers.push(schedule.close);
  const ha = registerHa({ home: options.home, dispatcher, events, log, secrets, operations, environments, connections, topology: topology.service });
  closers.push(async () => ha.close());
  const restore = registerRestore({ home: options.home, dispatcher, events, log, secrets, operations, environments, sandbox });
  closers.push(restore.close);
  environments.onSelected((id) => {
    environments.resolveTarget(id).then(
      (target) => connections.open(target),
      (error: unknown) => {
        log.warn(`Cannot connect to ${id} yet`, { error: String(error) });
        return connections.closeCurrent();
      },
    );
  });

  let closing: Promise<void> | null = null;
  return {
    home: options.home,
    secrets,
    log,
    dispatcher,
    events,
    operations,
    environments,
    sandbox,
    connections,
    topology: topology.service,
    close: () => {
      closing ??= (async () => {
        await operations.close().catch((error: unknown) => log.error('Operations did not stop cleanly', { error: String(error) }));
        for (const close of closers.reverse()) {
          try {
            await close();
          } catch (error) {
            log.error('A service failed to stop cleanly', { error: String(error) });
          }
        }
        await log.close();
      })();
      return closing;
    },
  };
}

function parseLevel(value: string | undefined): LogLevel | undefined {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : undefined;
}
