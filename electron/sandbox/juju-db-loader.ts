import { createJujuDbCluster } from './juju-db/index';
import type { CreateJujuDbCluster } from './juju-db/api';

/**
 * The real juju-db. A function rather than a re-export so the orchestrator's
 * tests of the hosts alone can pass another implementation through
 * `SandboxDeps` without touching this default.
 */
export async function loadJujuDb(): Promise<CreateJujuDbCluster> {
  return createJujuDbCluster;
}
