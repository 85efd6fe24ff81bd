/**
 * The sandbox juju-db: a MongoDB wire-protocol replica set the official
 * driver (and stock clients) talk to unchanged. See `api.ts` for the surface.
 */
export { createJujuDbCluster } from './cluster';
export type * from './api';
