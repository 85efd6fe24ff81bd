import { describe, expect, it } from 'vitest';
import {
  archiveMetadataJson,
  backupIdFor,
  defaultBackupFilename,
  formatMetadataBlock,
  goQuote,
  goTimeString,
  parseArchiveMetadataJson,
} from './metadata';

const ENV = 'f41b1639-09b3-4eb7-8fbf-0927558cdf44';

describe('backup metadata', () => {
  it('builds the ID and default filename from the UTC start time', () => {
    const started = new Date('2015-09-14T15:06:14.999Z');
    expect(backupIdFor(started, ENV)).toBe(`20150914-150614.${ENV}`);
    expect(defaultBackupFilename(started)).toBe('juju-backup-20150914-150614.tar.gz');
  });

  it('writes metadata.json exactly as Juju does inside the archive', () => {
    const json = archiveMetadataJson({
      started: '2015-09-14T15:06:14.120Z',
      notes: 'a <b> & "c"',
      environment: ENV,
      machine: '0',
      hostname: 'juju-machine-0',
      version: '1.25.6',
    });
    expect(json).toBe(
      '{"ID":"","Checksum":"","ChecksumFormat":"","Size":0,"Stored":"0001-01-01T00:00:00Z",' +
        '"Started":"2015-09-14T15:06:14.12Z","Finished":"0001-01-01T00:00:00Z",' +
        '"Notes":"a \\u003cb\\u003e \\u0026 \\"c\\"","Environment":"f41b1639-09b3-4eb7-8fbf-0927558cdf44",' +
        '"Machine":"0","Hostname":"juju-machine-0","Version":"1.25.6"}\n',
    );
    const parsed = parseArchiveMetadataJson(json);
    expect(parsed).toMatchObject({ id: '', size: 0, stored: null, finished: null, notes: 'a <b> & "c"', started: '2015-09-14T15:06:14.12Z' });
  });

  it('parses Go nanosecond times and rejects what is not Juju metadata', () => {
    const m = parseArchiveMetadataJson('{"Started":"2015-09-14T15:06:14.123456789Z","Environment":"x"}');
    expect(m.started).toBe('2015-09-14T15:06:14.123456789Z');
    expect(() => parseArchiveMetadataJson('[]')).toThrow(/not a JSON object/);
    expect(() => parseArchiveMetadataJson('{"foo":1}')).toThrow(/Started/);
    expect(() => parseArchiveMetadataJson('{"Started":"yesterday","Environment":"x"}')).toThrow(/RFC 3339/);
  });

  it('prints times and strings as Go does', () => {
    expect(goTimeString(null)).toBe('0001-01-01 00:00:00 +0000 UTC');
    expect(goTimeString('2015-09-14T15:06:30.000Z')).toBe('2015-09-14 15:06:30 +0000 UTC');
    expect(goTimeString('2015-09-14T15:06:14.123456789Z')).toBe('2015-09-14 15:06:14.123456789 +0000 UTC');
    expect(goQuote('say "hi"\n\u0001')).toBe('"say \\"hi\\"\\n\\x01"');
  });

  it('formats the 12-line metadata block with labels padded to column 18', () => {
    const block = formatMetadataBlock({
      id: `20150914-150614.${ENV}`,
      checksum: 'abc=',
      checksumFormat: 'SHA-1, base64 encoded',
      size: 1234,
      stored: '2015-09-14T15:06:30.000Z',
      started: '2015-09-14T15:06:14.000Z',
      finished: '2015-09-14T15:06:29.000Z',
      notes: '',
      environment: ENV,
      machine: '0',
      hostname: 'juju-0',
      version: '1.25.6',
    });
    expect(block).toBe(
      [
        `backup ID:       "20150914-150614.${ENV}"`,
        'checksum:        "abc="',
        'checksum format: "SHA-1, base64 encoded"',
        'size (B):        1234',
        'stored:          2015-09-14 15:06:30 +0000 UTC',
        'started:         2015-09-14 15:06:14 +0000 UTC',
        'finished:        2015-09-14 15:06:29 +0000 UTC',
        'notes:           ""',
        `environment ID:  "${ENV}"`,
        'machine ID:      "0"',
        'created on host: "juju-0"',
        'juju version:    1.25.6',
        '',
      ].join('\n'),
    );
  });
});
