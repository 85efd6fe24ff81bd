import { login } from './admin';
import { blockFacade } from './blocks';
import { clientFacade } from './client';
import type { ConnectionContext } from './context';
import { highAvailabilityFacade } from './high-availability';
import { facadeVersions, type Facade } from './root';

/**
 * Every facade the sandbox's API server registers, at Juju 1.25's versions:
 * Admin 0/1/2, Block 1, Client 0, HighAvailability 1, Pinger 0. (A real
 * 1.25 server has many more; a login result lists only these.)
 */

function adminFacade(version: number): Facade<ConnectionContext> {
  return {
    name: 'Admin',
    version,
    methods: { Login: (ctx, params) => login(ctx, version, params, facadeVersions(FACADES)) },
  };
}

/** `Pinger.Ping`: no params, no result; resets an agent connection's 3-minute timeout. */
const pingerFacade: Facade<ConnectionContext> = {
  name: 'Pinger',
  version: 0,
  methods: {
    Ping: (ctx) => {
      ctx.pinged();
      return {};
    },
  },
};

export const FACADES: readonly Facade<ConnectionContext>[] = [adminFacade(0), adminFacade(1), adminFacade(2), blockFacade, clientFacade, highAvailabilityFacade, pingerFacade];
