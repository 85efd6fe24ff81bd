import { describe, expect, it } from 'vitest';
import { formatPruneReport, parseMaxAge } from './backups-prune';

describe('backups prune', () => {
  it('reads --max-age as days or hours', () => {
    expect(parseMaxAge('30')).toBe(30);
    expect(parseMaxAge('30d')).toBe(30);
    expect(parseMaxAge('36h')).toBe(1.5);
    expect(() => parseMaxAge('0')).toThrow('invalid value "0" for flag --max-age');
    expect(() => parseMaxAge('a week')).toThrow('--max-age');
  });

  it('prints one line per archive with its reason', () => {
    const text = formatPruneReport(
      {
        environmentId: 'sandbox',
        dryRun: true,
        removed: [{ location: 'local', key: '/w/old.tar.gz', id: 'a', started: null, reason: 'older than 30 days' }],
        kept: [{ location: 'server', key: 'b', id: 'b', started: null, reason: 'newest verified backup: always kept' }],
        skipped: [{ location: 'local', key: '/w/junk.tar.gz', id: null, started: null, reason: 'not identified as a Juju backup: never removed' }],
        failed: [],
      },
      '/w',
    );
    expect(text).toBe(
      'would remove local old.tar.gz: older than 30 days\nkept server b: newest verified backup: always kept\nskipped local junk.tar.gz: not identified as a Juju backup: never removed\n',
    );
  });
});
