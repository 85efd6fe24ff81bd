import { describe, expect, it } from 'vitest';
import { mechanismFor, mongoCrKey, passwordDigest, ScramSha1Client } from './auth';

describe('MONGODB-CR', () => {
  it('digests the password as md5("user:mongo:password")', () => {
    expect(passwordDigest('user', 'pencil')).toBe('1c33006ec1ffd90f9cadcbcc0e118200');
  });

  it('keys a nonce as md5(nonce + user + digest)', () => {
    // md5("2375531c32080ae8" + "user" + "1c33006ec1ffd90f9cadcbcc0e118200"), computed with `md5sum`.
    expect(mongoCrKey('2375531c32080ae8', 'user', 'pencil')).toBe('21742f26431831d5cfca035a08c5bdf6');
  });

  it('is used below wire version 3 (MongoDB 2.4 and 2.6), SCRAM-SHA-1 from 3.0', () => {
    expect(mechanismFor(0)).toBe('MONGODB-CR');
    expect(mechanismFor(2)).toBe('MONGODB-CR');
    expect(mechanismFor(3)).toBe('SCRAM-SHA-1');
    expect(mechanismFor(8)).toBe('SCRAM-SHA-1');
  });
});

describe('SCRAM-SHA-1 (the MongoDB auth spec conversation)', () => {
  const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000';

  it('produces the spec\'s client messages and accepts its server signature', () => {
    const scram = new ScramSha1Client('user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    expect(scram.clientFirst()).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    expect(scram.clientFinal(serverFirst)).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY=');
    expect(() => scram.verifyServerFinal('v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=')).not.toThrow();
  });

  it('rejects a wrong server signature, a nonce that is not ours and too few iterations', () => {
    const scram = new ScramSha1Client('user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    scram.clientFinal(serverFirst);
    expect(() => scram.verifyServerFinal('v=AAAAI25JD1yNYZRMpZ4VHvhZ9e0=')).toThrow(/signature/);
    expect(() => scram.verifyServerFinal('e=invalid-proof')).toThrow(/invalid-proof/);
    expect(() => new ScramSha1Client('user', 'pencil', 'abc').clientFinal('r=xyz123,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000')).toThrow(/nonce/);
    expect(() => new ScramSha1Client('user', 'pencil', 'abc').clientFinal('r=abcdef,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=1000')).toThrow(/iteration/);
  });

  it('escapes = and , in the user name', () => {
    expect(new ScramSha1Client('a=b,c', 'p', 'n0nce').clientFirst()).toBe('n,,n=a=3Db=2Cc,r=n0nce');
  });
});
