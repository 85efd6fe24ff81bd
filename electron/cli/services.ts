import os from 'node:os';
import { SecretRegistry } from '../../shared/redact';
import { createBackupsService, type BackupsService } from '../services/backups/backups-service';
import { ConnectionManager } from '../services/connection/connection-manager';
import { createEnvironmentService, type EnvironmentService } from '../services/environments/environment-service';
import { createEventHub, type EventHub } from '../services/ipc/event-hub';
import { createLogger, type Logger, type LogLevel } from '../services/log';
import { createOperationManager, type OperationManager } from '../services/operations/operation-manager';
import { childProcessStarter, createSandboxLauncher, type SandboxLauncher, type SandboxStarter } from '../services/sandbox-launcher';
import { connectionTopologySource } from '../services/topology/connection-source';
import { createTopologyService, type TopologyService } from '../services/topology/topology-service';
import { registerHa } from '../services/ha/register-ha';
import type { HaService } from '../services/ha/ha-service';
import { registerRestore } from '../services/restore/register-restore';
import type { RestoreService } from '../services/restore/restore-service';
import { attachOrStartStarter } from './sandbox-attach';

/**
 * The services one `quorum` command uses: the console's own (environments,
 * sandbox launcher, connection manager, operations, backups, topology),
 * composed without the console's background work — nothing is selected or
 * polled on its own, and only the environment the command names is
 * connected. Logs go to `QUORUM_HOME/logs/quorum.log`, never to the
 * terminal.
 */

export interface CliServicesOptions {
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir?: string;
  /** How to start the sandbox when no other process runs it (default: a Node child; Electron passes a utility process). */
  readonly sandboxStarter?: SandboxStarter;
}

export interface CliServices {
  readonly home: string;
  readonly homedir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secrets: SecretRegistry;
  readonly log: Logger;
  readonly events: EventHub;
  readonly operations: OperationManager;
  readonly environments: EnvironmentService;
  readonly sandbox: SandboxLauncher;
  readonly connections: ConnectionManager;
  readonly backups: BackupsService;
  readonly topology: TopologyService;
  /** `ensure-availability` through Juju's API (the admin password from the `.jenv`, or the sandbox's own file). */
  readonly ha: HaService;
  /** `backups restore`: the console's restore (pre-checks, the run's steps as `restore.progress` events). */
  readonly restore: RestoreService;
  close(): Promise<void>;
}

function parseLevel(value: string | undefined): LogLevel | undefined {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : undefined;
}

export function createCliServices(options: CliServicesOptions): CliServices {
  const homedir = options.homedir ?? os.homedir();
  const secrets = new SecretRegistry();
  const level = parseLevel(options.env.QUORUM_LOG_LEVEL);
  const log = createLogger({ secrets, home: options.home, stderr: false, ...(level ? { level } : {}) });
  const events = createEventHub({ log });
  const operations = createOperationManager({ events, secrets, log, progressIntervalMs: 100 });
  const sandbox = createSandboxLauncher({ home: options.home, log, start: attachOrStartStarter(options.sandboxStarter ?? childProcessStarter()) });
  const environments = createEnvironmentService({ home: options.home, env: options.env, homedir, events, sandbox, log });
  const connections = new ConnectionManager({ quorumHome: options.home, secrets, logger: log.child('connection') });
  const open = async (environmentId: string) => connections.open(await environments.resolveTarget(environmentId));
  const backups = createBackupsService({ home: options.home, operations, connection: open, emitChanged: () => undefined, log });
  const topology = createTopologyService({ openSource: async (id) => connectionTopologySource(await open(id)), publish: () => undefined, log });
  const ha = registerHa({ home: options.home, dispatcher: { register: () => undefined }, events, log, secrets, operations, environments, connections, topology });
  const restore = registerRestore({ home: options.home, dispatcher: { register: () => undefined }, events, log, secrets, operations, environments, sandbox });

  let closing: Promise<void> | null = null;
  return {
    home: options.home,
    homedir,
    env: options.env,
    secrets,
    log,
    events,
    operations,
    environments,
    sandbox,
    connections,
    backups,
    topology,
    ha: ha.service,
    restore: restore.service,
    close: () => {
      closing ??= (async () => {
        const step = async (what: string, fn: () => Promise<void>) => {
          try {
            await fn();
          } catch (error) {
            log.error(`${what} did not stop cleanly`, { error: String(error) });
          }
        };
        await step('Operations', () => operations.close());
        ha.close();
        await step('Restore', () => restore.close());
        await step('Topology', () => topology.close());
        await step('Connections', () => connections.close());
        await step('The sandbox', () => sandbox.stop());
        await log.close();
      })();
      return closing;
    },
  };
}
