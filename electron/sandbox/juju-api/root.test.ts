import { describe, expect, it } from 'vitest';
import { destroyError } from './client';
import { ApiError } from './errors';
import { ABOUT_TO_RESTORE_ERROR, RESTORE_IN_PROGRESS_ERROR, facadeVersions, findMethod, type Facade } from './root';
import { apiPathUuid } from './server';

interface Ctx {
  readonly user: boolean;
}

const facades: Facade<Ctx>[] = [
  { name: 'Admin', version: 0, methods: { Login: () => 'v0' } },
  { name: 'Admin', version: 2, methods: { Login: () => 'v2' } },
  { name: 'Client', version: 0, allow: (c) => c.user, methods: { FullStatus: () => 'status', DestroyMachines: () => ({}) } },
  { name: 'HighAvailability', version: 1, methods: { EnsureAvailability: () => 'ha' } },
  { name: 'Pinger', version: 0, methods: { Ping: () => ({}) } },
];

const user: Ctx = { user: true };
const agent: Ctx = { user: false };

function errorOf(fn: () => unknown): { message: string; code: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { message: err.message, code: err.code };
    throw err;
  }
  throw new Error('no error');
}

describe('API roots and method lookup', () => {
  it('before login serves only Admin, with the anonymous root\'s errors', () => {
    expect(findMethod(facades, 'anonymous', 'Admin', 2, 'Login')(user, {})).toBe('v2');
    expect(errorOf(() => findMethod(facades, 'anonymous', 'Client', 0, 'FullStatus'))).toEqual({ message: 'unknown object type "Client"', code: 'not implemented' });
    expect(errorOf(() => findMethod(facades, 'anonymous', 'HighAvailability', 1, 'EnsureAvailability'))).toEqual({
      message: 'unknown version (1) of interface "HighAvailability"',
      code: 'not implemented',
    });
    expect(errorOf(() => findMethod(facades, 'anonymous', 'Admin', 3, 'Login')).message).toBe('no such request - method Admin(3).Login is not implemented');
    // A known Admin version looks its methods up at version 0.
    expect(errorOf(() => findMethod(facades, 'anonymous', 'Admin', 2, 'Logout')).message).toBe('no such request - method Admin.Logout is not implemented');
  });

  it('after login finds facades by name and version, and the facade refuses callers it does not allow', () => {
    expect(findMethod(facades, 'full', 'HighAvailability', 1, 'EnsureAvailability')(agent, {})).toBe('ha');
    expect(errorOf(() => findMethod(facades, 'full', 'HighAvailability', 0, 'EnsureAvailability')).message).toBe('unknown object type "HighAvailability"');
    expect(errorOf(() => findMethod(facades, 'full', 'HighAvailability', 1, 'Nope')).message).toBe('no such request - method HighAvailability(1).Nope is not implemented');
    expect(errorOf(() => findMethod(facades, 'full', 'Client', 0, 'FullStatus')(agent, {}))).toEqual({ message: 'permission denied', code: 'unauthorized access' });
  });

  it('about to restore: only the seven 1.25 methods (not Pinger.Ping); unknown methods still not implemented first', () => {
    expect(findMethod(facades, 'about-to-restore', 'Client', 0, 'FullStatus')(user, {})).toBe('status');
    expect(errorOf(() => findMethod(facades, 'about-to-restore', 'Client', 0, 'DestroyMachines'))).toEqual({ message: ABOUT_TO_RESTORE_ERROR, code: '' });
    expect(errorOf(() => findMethod(facades, 'about-to-restore', 'Pinger', 0, 'Ping')).message).toBe(ABOUT_TO_RESTORE_ERROR);
    expect(errorOf(() => findMethod(facades, 'about-to-restore', 'Client', 0, 'Nope')).code).toBe('not implemented');
    expect(errorOf(() => findMethod(facades, 'restoring', 'Client', 0, 'FullStatus'))).toEqual({ message: RESTORE_IN_PROGRESS_ERROR, code: '' });
  });

  it('server-only (Admin v2 at /) knows only UserManager and EnvironmentManager', () => {
    expect(errorOf(() => findMethod(facades, 'server-only', 'Client', 0, 'FullStatus'))).toEqual({ message: 'logged in to server, no environment, "Client" not found', code: 'not found' });
  });

  it('lists facade versions by name', () => {
    expect(facadeVersions(facades)).toEqual([
      { Name: 'Admin', Versions: [0, 2] },
      { Name: 'Client', Versions: [0] },
      { Name: 'HighAvailability', Versions: [1] },
      { Name: 'Pinger', Versions: [0] },
    ]);
  });

  it('words DestroyMachines\' aggregate error as destroyErr does', () => {
    expect(destroyError(['3'], [])).toBeNull();
    expect(destroyError(['0'], ['machine 0 is required by the environment'])?.message).toBe('no machines were destroyed: machine 0 is required by the environment');
    expect(destroyError(['0', '3', '9'], ['machine 0 is required by the environment', 'machine 9 does not exist'])?.message).toBe(
      'some machines were not destroyed: machine 0 is required by the environment; machine 9 does not exist',
    );
  });

  it('takes the environment from the API path', () => {
    expect(apiPathUuid('/environment/9f0c-uuid/api')).toBe('9f0c-uuid');
    expect(apiPathUuid('/')).toBe('');
    expect(apiPathUuid('/environment/9f0c-uuid/log')).toBeNull();
  });
});
