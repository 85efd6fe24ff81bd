import { Binary, Long, ObjectId, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { collectionMetadataJson, collectionMetadataJson24, dumpFlavourFor, formatDouble16, jsonString24, metadataJsonFor, shouldDumpCollection } from './dump';
import { metadataDocument, parseMetadataDocument } from './server-store';

describe('which mongodump the dump imitates, per server family', () => {
  it('MongoDB 2.4 (Juju 1.25: no maxWireVersion): 2.4\'s C++ mongodump', () => {
    expect(dumpFlavourFor({ maxWireVersion: 0 })).toBe('mongodump-2.4');
  });
  it('MongoDB 2.6 (wire 2): the C++ mongodump too', () => {
    expect(dumpFlavourFor({ maxWireVersion: 2 })).toBe('mongodump-2.4');
  });
  it('MongoDB 3.0-4.2 (wire 3-8, still the legacy client): the Go mongodump', () => {
    expect(dumpFlavourFor({ maxWireVersion: 3 })).toBe('mongodump-go');
    expect(dumpFlavourFor({ maxWireVersion: 8 })).toBe('mongodump-go');
  });
  it('MongoDB 4.4 and later (the driver): the Go mongodump', () => {
    expect(dumpFlavourFor({ maxWireVersion: 9 })).toBe('mongodump-go');
    expect(dumpFlavourFor({ maxWireVersion: 17 })).toBe('mongodump-go');
  });
});

describe('mongodump 2.4 equivalence (dump.cpp r2.4)', () => {
  it('dumps every collection system.namespaces lists but system.indexes and index namespaces, system.users of every db included', () => {
    const dumps = (db: string, name: string): boolean => shouldDumpCollection('mongodump-2.4', db, name);
    expect(dumps('juju', 'machines')).toBe(true);
    expect(dumps('admin', 'system.users')).toBe(true);
    expect(dumps('juju', 'system.users')).toBe(true);
    expect(dumps('juju', 'system.js')).toBe(true);
    expect(dumps('juju', 'system.profile')).toBe(true);
    expect(dumps('juju', 'system.indexes')).toBe(false);
    expect(dumps('juju', 'system.namespaces')).toBe(false);
    expect(dumps('juju', 'machines.$_id_')).toBe(false);
  });

  it('writes metadata.json as writeMetadataFile does: unquoted options/indexes keys, BSONObj::jsonString values', () => {
    const indexes = [
      { v: 1, key: { _id: 1 }, ns: 'juju.txns.log', name: '_id_' },
      { v: 1, key: { 'txn-queue': 1, n: -1 }, unique: true, ns: 'juju.txns.log', name: 'txn-queue_1_n_-1', background: false },
    ];
    expect(collectionMetadataJson24({ create: 'txns.log', capped: true, size: 10485760 }, indexes)).toBe(
      '{options : { "create" : "txns.log", "capped" : true, "size" : 10485760 }, indexes:[' +
        '{ "v" : 1, "key" : { "_id" : 1 }, "ns" : "juju.txns.log", "name" : "_id_" }, ' +
        '{ "v" : 1, "key" : { "txn-queue" : 1, "n" : -1 }, "unique" : true, "ns" : "juju.txns.log", "name" : "txn-queue_1_n_-1", "background" : false }]}',
    );
    // No options in system.namespaces (a collection created by its first insert): the key is left out.
    expect(collectionMetadataJson24({}, indexes.slice(0, 1))).toBe('{indexes:[{ "v" : 1, "key" : { "_id" : 1 }, "ns" : "juju.txns.log", "name" : "_id_" }]}');
    expect(collectionMetadataJson24({ capped: true, size: 4096 }, [])).toBe('{options : { "capped" : true, "size" : 4096 }}');
    expect(collectionMetadataJson24(null, [])).toBe('{}');
    // The 2.4 flavour keeps the index documents as system.indexes holds them and writes no uuid.
    expect(metadataJsonFor('mongodump-2.4', 'juju', { name: 'txns.log', options: {}, uuid: '00'.repeat(16) }, indexes.slice(0, 1))).not.toContain('uuid');
  });

  it('prints values as 2.4\'s jsonString(Strict) does', () => {
    expect(jsonString24({})).toBe('{}');
    expect(jsonString24([])).toBe('[]');
    expect(jsonString24({ a: [1, 'x', null] })).toBe('{ "a" : [ 1, "x", null ] }');
    expect(jsonString24({ s: 'a"b\\c/d\n\u0001é' })).toBe('{ "s" : "a\\"b\\\\c/d\\n\\u0001é" }');
    expect(jsonString24(Long.fromString('9007199254740993'))).toBe('9007199254740993');
    expect(jsonString24(new ObjectId('5f0c6a1e2b3c4d5e6f708192'))).toBe('{ "$oid" : "5f0c6a1e2b3c4d5e6f708192" }');
    expect(jsonString24(new Date(1442243174123))).toBe('{ "$date" : 1442243174123 }');
    expect(jsonString24(new Binary(Buffer.from('hi'), 0))).toBe('{ "$binary" : "aGk=", "$type" : "00" }');
    expect(jsonString24(new Timestamp({ t: 1442243174, i: 3 }))).toBe('{ "t" : 1442243174000 , "i" : 3 }');
    expect(jsonString24(true)).toBe('true');
  });

  it('prints doubles with 16 significant digits (C++ precision(16))', () => {
    expect(formatDouble16(1)).toBe('1');
    expect(formatDouble16(-1)).toBe('-1');
    expect(formatDouble16(0.5)).toBe('0.5');
    expect(formatDouble16(0.1)).toBe('0.1');
    expect(formatDouble16(1 / 3)).toBe('0.3333333333333333');
    expect(formatDouble16(10485760)).toBe('10485760');
    expect(formatDouble16(1e16)).toBe('1e+16');
    expect(formatDouble16(123456789012345680)).toBe('1.234567890123457e+17');
    expect(formatDouble16(0.0001)).toBe('0.0001');
    expect(formatDouble16(0.00001)).toBe('1e-05');
    expect(formatDouble16(Number.NaN)).toBe('NaN');
    expect(formatDouble16(-Infinity)).toBe('-Infinity');
  });
});

describe('Go mongodump equivalence (MongoDB 3.0 and later)', () => {
  it('skips system collections as mongodump --oplog does, keeping admin users, roles and version', () => {
    const dumps = (db: string, name: string): boolean => shouldDumpCollection('mongodump-go', db, name);
    expect(dumps('juju', 'machines')).toBe(true);
    expect(dumps('admin', 'system.users')).toBe(true);
    expect(dumps('admin', 'system.version')).toBe(true);
    expect(dumps('juju', 'system.indexes')).toBe(false);
    expect(dumps('juju', 'system.profile')).toBe(false);
    expect(dumps('juju', 'system.js')).toBe(true);
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
    // No uuid where the server has none (before 3.6).
    expect(metadataJsonFor('mongodump-go', 'juju', { name: 'x', options: {} }, [])).toBe('{"options":{},"indexes":[]}');
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
