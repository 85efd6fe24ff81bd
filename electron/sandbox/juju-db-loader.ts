import type { CreateJujuDbCluster } from './juju-db/api';

/**
 * The real juju-db, loaded on first use so the hosts can be exercised with
 * another implementation in tests and the module graph of the CLI stays lazy.
 */
export async function loadJujuDb(): Promise<CreateJujuDbCluster> {
  const specifier = './juju-db/index';
  const mod = (await import(/* @vite-ignore */ specifier)) as { createJujuDbCluster?: CreateJujuDbCluster };
  if (!mod.createJujuDbCluster) throw new Error('juju-db does not export createJujuDbCluster');
  return mod.createJujuDbCluster;
}
