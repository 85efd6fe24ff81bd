import { describe, expect, it } from 'vitest';
import { archiveMetadataJson } from '../backups/metadata';
import { parseStrictArchiveMetadata } from './archive-metadata';
import { parseCollectionMetadata } from './collection-metadata';
import { parseJujuVersion } from './juju-version';

describe('parseCollectionMetadata: both mongodump flavours', () => {
  it('reads 2.4\'s unquoted keys (not JSON) as mongodump-2.4', () => {
    const text = '{options : { "create" : "txns.log", "capped" : true, "size" : 10485760 }, indexes:[{ "v" : 1, "key" : { "_id" : 1 }, "ns" : "juju.txns.log", "name" : "_id_" }]}';
    expect(() => JSON.parse(text)).toThrow();
    expect(parseCollectionMetadata(text)).toEqual({ flavour: 'mongodump-2.4', options: { create: 'txns.log', capped: true, size: 10485760 }, indexNames: ['_id_'], capped: true });
  });

  it('reads indexes-only and options-only 2.4 files', () => {
    expect(parseCollectionMetadata('{indexes:[{ "v" : 1, "key" : { "a" : 1 }, "ns" : "x.y", "name" : "a_1" }, { "name" : "b_1", "key" : { "b" : -1 } }]}')).toMatchObject({ flavour: 'mongodump-2.4', indexNames: ['a_1', 'b_1'] });
    expect(parseCollectionMetadata('{options : { "capped" : false }}')).toMatchObject({ flavour: 'mongodump-2.4', indexNames: [], capped: false });
  });

  it('reads JSON (2.6 and the Go mongodump) as json, and {} as empty', () => {
    expect(parseCollectionMetadata('{"options":{},"indexes":[{"v":2,"key":{"_id":1},"name":"_id_","ns":"juju.settings"}],"uuid":"abc"}')).toEqual({ flavour: 'json', options: {}, indexNames: ['_id_'], capped: false });
    expect(parseCollectionMetadata('{ "options" : {}, "indexes" : [] }').flavour).toBe('json');
    expect(parseCollectionMetadata('{}')).toEqual({ flavour: 'empty', options: {}, indexNames: [], capped: false });
  });

  it('keeps strings containing the key names and brackets intact', () => {
    expect(parseCollectionMetadata('{options : { "note" : "indexes:[} \\" ]" }, indexes:[]}')).toMatchObject({ options: { note: 'indexes:[} " ]' } });
  });

  it.each([
    ['', /not an object/],
    ['[]', /not an object/],
    ['{options : {', /ends in the middle/],
    ['{options {}}', /":" is missing/],
    ['{options : {}} extra', /text after/],
    ['{options : [1]}', /options is not an object/],
    ['{indexes:{}}', /indexes is not a list/],
    ['{indexes:[{ "v" : 1 }]}', /index 1 has no name/],
    ['{options : {}, options : {}}', /appears twice/],
    ['{1bad : {}}', /key is malformed/],
    ['{options : { bad }}', /value of options is not JSON/],
  ])('refuses %j', (text, reason) => {
    expect(() => parseCollectionMetadata(text)).toThrow(reason);
  });
});

describe('parseStrictArchiveMetadata', () => {
  const good = archiveMetadataJson({ started: '2015-09-14T15:06:14.123Z', notes: 'n', environment: 'e', machine: '0', hostname: 'h', version: '1.25.6' });

  it('accepts what Juju writes and lists keys it does not', () => {
    expect(parseStrictArchiveMetadata(good)).toMatchObject({ metadata: { version: '1.25.6', started: '2015-09-14T15:06:14.123Z' }, extraKeys: [] });
    expect(parseStrictArchiveMetadata(good.replace('{', '{"Series":"trusty",')).extraKeys).toEqual(['Series']);
  });

  it.each([
    ['not JSON', 'nope', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['a missing key', good.replace('"Hostname":"h",', ''), /lacks Hostname/],
    ['a number as string', good.replace('"Size":0', '"Size":-1'), /Size is not a byte count/],
    ['a string as number', good.replace('"Version":"1.25.6"', '"Version":1.25'), /Version is not a string/],
    ['a time that is not RFC 3339', good.replace('"Stored":"0001-01-01T00:00:00Z"', '"Stored":"2015-09-14"'), /Stored is not an RFC 3339 time/],
  ])('refuses %s', (_name, text, reason) => {
    expect(() => parseStrictArchiveMetadata(text)).toThrow(reason);
  });
});

describe('parseJujuVersion', () => {
  it.each([
    ['1.25.6', { major: 1, minor: 25, patch: 6, tag: '', build: 0, exact: true }],
    ['1.21-alpha3', { major: 1, minor: 21, patch: 3, tag: 'alpha', exact: true }],
    ['1.22.8.1', { major: 1, minor: 22, patch: 8, build: 1, exact: true }],
    ['1.25.6-trusty-amd64', { major: 1, minor: 25, exact: false }],
    ['1.25', { major: 1, minor: 25, exact: false }],
  ])('%s', (text, expected) => {
    expect(parseJujuVersion(text)).toMatchObject(expected);
  });

  it.each(['', 'x1.2', '1', '1.', '12.x', '1.2x'])('%j is no version', (text) => {
    expect(parseJujuVersion(text)).toBeNull();
  });
});
