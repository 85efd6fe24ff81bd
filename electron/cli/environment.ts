import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Environment } from '../../shared/ipc/channels/environments';
import { discoverJujuEnvironments } from '../services/environments/juju-home';
import { CommandError, UsageError } from './errors';

/**
 * Which environment a command acts on, exactly as Juju 1.x decides: `-e` /
 * `--environment`, then `$JUJU_ENV`, then `$JUJU_HOME/current-environment`
 * (then `default:` in `environments.yaml`). `sandbox` names Quorum's
 * embedded sandbox. When nothing names one: Juju's `no environment
 * specified` if a Juju configuration exists; with no Juju configuration at
 * all, the sandbox (as the console does).
 */

export type ChoiceSource = '-e' | 'JUJU_ENV' | 'current-environment' | 'environments.yaml' | 'no Juju configuration';

export interface EnvironmentChoice {
  readonly name: string;
  readonly from: ChoiceSource;
}

export const SANDBOX_NAME = 'sandbox';

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

export async function chooseEnvironment(options: {
  readonly flag: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
}): Promise<EnvironmentChoice> {
  const flag = options.flag?.trim();
  if (flag) return { name: flag, from: '-e' };
  const juju = await discoverJujuEnvironments({ env: options.env, homedir: options.homedir });
  if (juju.current !== null) return { name: juju.current.name, from: juju.current.from };
  const configured = juju.environments.length > 0 || (await exists(path.join(juju.jujuHome, 'environments.yaml')));
  if (configured) {
    throw new UsageError(
      'no environment specified\n(name one with -e ENV, JUJU_ENV or `juju switch ENV`; -e sandbox is Quorum\'s built-in sandbox)',
    );
  }
  return { name: SANDBOX_NAME, from: 'no Juju configuration' };
}

/** The environment a name designates: the sandbox, a `.jenv` by its name, one added by hand by its name, or any by its id. */
export function findEnvironment(name: string, environments: readonly Environment[]): Environment {
  const found =
    (name === SANDBOX_NAME ? environments.find((e) => e.kind === 'sandbox') : undefined) ??
    environments.find((e) => e.kind === 'juju' && e.name === name) ??
    environments.find((e) => e.kind === 'manual' && e.name === name) ??
    environments.find((e) => e.id === name);
  if (found === undefined) throw new CommandError(`environment ${JSON.stringify(name)} not found`);
  if (found.error !== null) throw new CommandError(found.error.message);
  return found;
}
