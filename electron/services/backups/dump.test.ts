import { Long } from 'bson';
import { describe, expect, it } from 'vitest';
import { collectionMetadataJson, shouldDumpCollection } from './dump';
import { metadataDocument, parseMetadataDocument } from './server-store';

describe('mongodump equivalence', () => {
  it('skips system collections as mongodump --oplog does, keeping admin users, roles and version', () => {
    expect(shouldDumpCollection('juju', 'machines')).toBe(true);
    expect(shouldDumpCollection('admin', 'system.users')).toBe(true);
    expect(shouldDumpCollection('admin', 'system.version')).toBe(true);
    expect(shouldDumpCollection('juju', 'system.indexes')).toBe(false);
    expect(shouldDumpCollection('juju', 'system.profile')).toBe(false);
    expect(shouldDumpCollection('juju', 'system.js')).toBe(true);
  });

  it('writes <coll>.metadata.json like mongodump: options, indexes with v/key/name/ns first, uuid', () => {
    const json = collectionMetadataJson(
      'juju',
      'txns.log',
      { capped: true, size: 10485760 },
      [
        { key: { _id: 1 }, name: '_id_', v: 2 },
        { unique: true, name: 'name_1', key: { name: 1 }, v: 2, ns: 'juju.txns.log' },
      ],
      '0123456789abcdef0123456789abcdef',
    );
    expect(json).toBe(
      '{"options":{"capped":true,"size":10485760},"indexes":[{"v":2,"key":{"_id":1},"name":"_id_","ns":"juju.txns.log"},' +
        '{"v":2,"key":{"name":1},"name":"name_1","ns":"juju.txns.log","unique":true}],"uuid":"0123456789abcdef0123456789abcdef"}',
    );
  });
});

describe('backups.metadata documents', () => {
  it("uses Juju's bson fields, Unix seconds, int64 sizes, and omits empty notes", () => {
    const doc = metadataDocument({
      id: '20150914-150614.f41b1639-09b3-4eb7-8fbf-0927558cdf44',
      checksum: 'abc=',
      checksumFormat: 'SHA-1, base64 encoded',
      size: 1234,
      stored: '2015-09-14T15:06:30.900Z',
      started: '2015-09-14T15:06:14.123Z',
      finished: '2015-09-14T15:06:29.000Z',
      notes: '',
      environment: 'f41b1639-09b3-4eb7-8fbf-0927558cdf44',
      machine: '0',
      hostname: 'juju-0',
      version: '1.25.6',
    });
    expect(Object.keys(doc)).toEqual(['_id', 'checksum', 'checksumformat', 'size', 'stored', 'started', 'finished', 'environment', 'machine', 'hostname', 'version']);
    expect(doc.size).toEqual(Long.fromNumber(1234));
    expect(doc.started).toEqual(Long.fromNumber(1442243174));
    const back = parseMetadataDocument(doc);
    expect(back.started).toBe('2015-09-14T15:06:14.000Z'); // 1-second precision, as the API returns it
    expect(back.notes).toBe('');
  });
});
