import { describe, expect, it } from 'vitest';
import { cliCommand, errorKind, newestVerifiedBackup, specKey, specOf, survivableFailures, survivesText } from './plan-model';
import { verifiedBackup } from './ha-test-api';

describe('HA plan model', () => {
  it.each([
    [1, 0, 'survives no failure'],
    [3, 1, 'survives 1 failure'],
    [5, 2, 'survives 2 failures'],
    [7, 3, 'survives 3 failures'],
  ])('%i state servers survive %i failures', (n, f, text) => {
    expect(survivableFailures(n)).toBe(f);
    expect(survivesText(n)).toBe(text);
  });

  it('leaves empty options out of the request, as the CLI does, and keys specs by content', () => {
    const form = { n: 3, series: ' ', constraints: '', placement: [] };
    expect(specOf('sandbox', form)).toEqual({ environmentId: 'sandbox', n: 3 });
    const full = { n: 5, series: 'trusty ', constraints: 'mem=4G', placement: ['4', '6'] };
    expect(specOf('sandbox', full)).toEqual({ environmentId: 'sandbox', n: 5, series: 'trusty', constraints: 'mem=4G', placement: ['4', '6'] });
    expect(cliCommand(full)).toBe('juju ensure-availability -n 5 --series trusty --constraints "mem=4G" --to 4,6');
    expect(specKey(specOf('sandbox', form))).toBe(specKey({ environmentId: 'sandbox', n: 3 }));
    expect(specKey(specOf('sandbox', form))).not.toBe(specKey({ environmentId: 'sandbox', n: 5 }));
  });

  it('tells API unreachable, login refused, blocked changes and Juju refusals apart', () => {
    expect(errorKind({ code: 'juju-api-unreachable', message: '' })).toBe('unreachable');
    expect(errorKind({ code: 'juju-login-refused', message: '' })).toBe('login-refused');
    expect(errorKind({ code: 'juju-blocked', message: '' })).toBe('blocked');
    expect(errorKind({ code: 'juju-api-error', message: '' })).toBe('juju');
    expect(errorKind({ code: 'admin-password-required', message: '' })).toBe('password-required');
    expect(errorKind({ code: 'host-unreachable', message: '' })).toBe('connection');
    expect(errorKind({ code: 'internal', message: '' })).toBe('other');
  });

  it('picks the newest verified backup only', () => {
    const old = verifiedBackup('a', '2025-01-01T00:00:00Z');
    const newer = { ...verifiedBackup('b', '2025-02-01T00:00:00Z'), checksumState: 'mismatch' as const };
    const mid = verifiedBackup('c', '2025-01-15T00:00:00Z');
    expect(newestVerifiedBackup([old, newer, mid])?.id).toBe('c');
    expect(newestVerifiedBackup([newer])).toBeNull();
  });
});
