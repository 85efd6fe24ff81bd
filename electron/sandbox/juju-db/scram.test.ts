import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ScramServerConversation, deriveCredential, parseAttributes, scramPassword, type ScramMechanism } from './scram';

/** A minimal SCRAM client, written from RFC 5802, to drive the server side. */
function clientRun(mechanism: ScramMechanism, user: string, password: string, server: ScramServerConversation, cred: ReturnType<typeof deriveCredential>) {
  const alg = mechanism === 'SCRAM-SHA-1' ? 'sha1' : 'sha256';
  const nonce = randomBytes(18).toString('base64');
  const bare = `n=${user},r=${nonce}`;
  expect(server.parseClientFirst(Buffer.from(`n,,${bare}`))).toBe(user);
  const serverFirst = server.serverFirstMessage(cred).toString();
  const a = parseAttributes(serverFirst);
  expect(a.get('r')!.startsWith(nonce)).toBe(true);
  const salted = pbkdf2Sync(scramPassword(mechanism, user, password), Buffer.from(a.get('s')!, 'base64'), Number(a.get('i')), mechanism === 'SCRAM-SHA-1' ? 20 : 32, alg);
  const clientKey = createHmac(alg, salted).update('Client Key').digest();
  const storedKey = createHash(alg).update(clientKey).digest();
  const withoutProof = `c=biws,r=${a.get('r')}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const sig = createHmac(alg, storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
  const final = server.finish(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)).toString();
  const serverKey = createHmac(alg, salted).update('Server Key').digest();
  return { final, expected: `v=${createHmac(alg, serverKey).update(authMessage).digest('base64')}` };
}

describe('SCRAM', () => {
  it('derives MongoDB credentials: SHA-1 over md5("user:mongo:pw"), SHA-256 over the password', () => {
    expect(scramPassword('SCRAM-SHA-1', 'admin', 'pw')).toBe(createHash('md5').update('admin:mongo:pw').digest('hex'));
    expect(scramPassword('SCRAM-SHA-256', 'admin', 'pw')).toBe('pw');
    const salt = Buffer.alloc(16, 7);
    const c = deriveCredential('SCRAM-SHA-1', 'u', 'p', salt, 1000);
    const salted = pbkdf2Sync(createHash('md5').update('u:mongo:p').digest('hex'), salt, 1000, 20, 'sha1');
    expect(c.storedKey).toBe(createHash('sha1').update(createHmac('sha1', salted).update('Client Key').digest()).digest('base64'));
    expect(c.serverKey).toBe(createHmac('sha1', salted).update('Server Key').digest('base64'));
    expect(c).toMatchObject({ iterationCount: 1000, salt: salt.toString('base64') });
  });

  for (const mech of ['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const) {
    it(`completes a ${mech} conversation and signs the server final message`, () => {
      const cred = deriveCredential(mech, 'machine-0', 's3cret', undefined, 4096);
      const server = new ScramServerConversation(mech);
      const { final, expected } = clientRun(mech, 'machine-0', 's3cret', server, cred);
      expect(final).toBe(expected);
      expect(server.done).toBe(true);
    });

    it(`rejects a wrong password with ${mech}`, () => {
      const cred = deriveCredential(mech, 'admin', 'right', undefined, 4096);
      expect(() => clientRun(mech, 'admin', 'wrong', new ScramServerConversation(mech), cred)).toThrow(/bad proof/);
    });
  }

  it('rejects a final message whose nonce does not match', () => {
    const cred = deriveCredential('SCRAM-SHA-256', 'a', 'b', undefined, 4096);
    const s = new ScramServerConversation('SCRAM-SHA-256');
    s.parseClientFirst(Buffer.from('n,,n=a,r=abc'));
    s.serverFirstMessage(cred);
    expect(() => s.finish(Buffer.from('c=biws,r=other,p=AAAA'))).toThrow(/nonce/);
  });
});
