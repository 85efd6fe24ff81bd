import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Binary } from 'bson';
import { JujuDbServerError } from '../juju-db-client';
import { runCommand } from './command';
import type { LegacyConnection, RequestOptions } from './connection';

/**
 * Authentication as legacy servers want it: MONGODB-CR on 2.4/2.6 (wire
 * version < 3; the only mechanism 2.4 has for password users) and
 * SCRAM-SHA-1 from 3.0 (RFC 5802 with MongoDB's twist: the "password" is
 * the MONGODB-CR digest). Failures become code 18 so the error translator
 * reports mongo-auth-failed; the password never appears in any message.
 */

export type LegacyAuthMechanism = 'MONGODB-CR' | 'SCRAM-SHA-1';

export const md5hex = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** MongoDB's stored password digest: md5hex(`user:mongo:password`). */
export function passwordDigest(user: string, password: string): string {
  return md5hex(`${user}:mongo:${password}`);
}

/** The MONGODB-CR `authenticate` key: md5hex(nonce + user + passwordDigest). */
export function mongoCrKey(nonce: string, user: string, password: string): string {
  return md5hex(`${nonce}${user}${passwordDigest(user, password)}`);
}

export function mechanismFor(maxWireVersion: number): LegacyAuthMechanism {
  return maxWireVersion < 3 ? 'MONGODB-CR' : 'SCRAM-SHA-1';
}

const MIN_ITERATIONS = 4096;

/** RFC 5802 attribute text of `key` in a SCRAM message (`r=…,s=…,i=…`). */
function attribute(message: string, key: string): string | undefined {
  for (const part of message.split(',')) if (part.startsWith(`${key}=`)) return part.slice(2);
  return undefined;
}

/** The client side of one SCRAM-SHA-1 conversation (pure, so it is tested against the spec's vector). */
export class ScramSha1Client {
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | undefined;

  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly clientNonce = randomBytes(24).toString('base64'),
  ) {
    this.clientFirstBare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${clientNonce}`;
  }

  /** `n,,n=user,r=nonce`: no channel binding, as MongoDB requires. */
  clientFirst(): string {
    return `n,,${this.clientFirstBare}`;
  }

  /** The client-final message (with the proof) for the server-first message. */
  clientFinal(serverFirst: string): string {
    const nonce = attribute(serverFirst, 'r');
    const salt = attribute(serverFirst, 's');
    const iterations = Number(attribute(serverFirst, 'i'));
    if (!nonce?.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) throw new Error('the server nonce does not extend ours');
    if (!salt || !Number.isInteger(iterations) || iterations < MIN_ITERATIONS) throw new Error(`invalid salt or iteration count (${iterations}) from the server`);
    const salted = pbkdf2Sync(passwordDigest(this.user, this.password), Buffer.from(salt, 'base64'), iterations, 20, 'sha1');
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const hmac = (key: Buffer, text: string): Buffer => createHmac('sha1', key).update(text, 'utf8').digest();
    const clientKey = hmac(salted, 'Client Key');
    const signature = hmac(createHash('sha1').update(clientKey).digest(), authMessage);
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Throws unless the server proved it knows the password too. */
  verifyServerFinal(serverFinal: string): void {
    const error = attribute(serverFinal, 'e');
    if (error) throw new Error(`the server rejected the proof: ${error}`);
    const v = Buffer.from(attribute(serverFinal, 'v') ?? '', 'base64');
    if (!this.serverSignature || v.length !== this.serverSignature.length || !timingSafeEqual(v, this.serverSignature)) {
      throw new Error('the server signature does not match (not the server that holds this password)');
    }
  }
}

function payloadText(reply: Record<string, unknown>): string {
  const payload = reply['payload'];
  if (payload instanceof Binary) return Buffer.from(payload.buffer.subarray(0, payload.position)).toString('utf8');
  return typeof payload === 'string' ? Buffer.from(payload, 'base64').toString('utf8') : '';
}

function authFailed(detail: string, reply: Record<string, unknown> = {}): JujuDbServerError {
  return new JujuDbServerError(`Authentication failed. (${detail})`, 18, reply, 'AuthenticationFailed');
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly source: string;
}

/** Authenticates `connection`; network errors and timeouts pass through, refusals become code 18. */
export async function authenticate(connection: LegacyConnection, credentials: Credentials, mechanism: LegacyAuthMechanism, options: RequestOptions): Promise<void> {
  const { user, password, source } = credentials;
  try {
    if (mechanism === 'MONGODB-CR') {
      const { nonce } = await runCommand(connection, source, { getnonce: 1 }, options);
      if (typeof nonce !== 'string') throw authFailed('getnonce returned no nonce');
      await runCommand(connection, source, { authenticate: 1, user, nonce, key: mongoCrKey(nonce, user, password) }, options);
      return;
    }
    const scram = new ScramSha1Client(user, password);
    const start = await runCommand(connection, source, { saslStart: 1, mechanism: 'SCRAM-SHA-1', payload: new Binary(Buffer.from(scram.clientFirst())), autoAuthorize: 1 }, options);
    const conversationId = start['conversationId'];
    let clientFinal: string;
    try {
      clientFinal = scram.clientFinal(payloadText(start));
    } catch (error) {
      throw authFailed((error as Error).message, start);
    }
    let reply = await runCommand(connection, source, { saslContinue: 1, conversationId, payload: new Binary(Buffer.from(clientFinal)) }, options);
    try {
      scram.verifyServerFinal(payloadText(reply));
    } catch (error) {
      throw authFailed((error as Error).message, reply);
    }
    // Servers before 4.4 want one more, empty, round trip to finish the conversation.
    for (let round = 0; reply['done'] !== true; round++) {
      if (round >= 2) throw authFailed('the SASL conversation did not finish', reply);
      reply = await runCommand(connection, source, { saslContinue: 1, conversationId, payload: new Binary(Buffer.alloc(0)) }, options);
    }
  } catch (error) {
    if (error instanceof JujuDbServerError && error.code !== 18) throw authFailed(`${mechanism} as ${user} on ${source}: ${error.message}`, error.reply);
    throw error;
  }
}
