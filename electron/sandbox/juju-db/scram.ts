/**
 * SCRAM-SHA-1 and SCRAM-SHA-256 as MongoDB implements them (RFC 5802/7677
 * plus MongoDB's quirks: SHA-1 hashes `md5("<user>:mongo:<password>")`
 * instead of the password, and credentials are stored as base64 salt,
 * storedKey and serverKey in `admin.system.users`).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

export interface ScramCredential {
  readonly iterationCount: number;
  readonly salt: string;
  readonly storedKey: string;
  readonly serverKey: string;
}

const HASH: Record<ScramMechanism, 'sha1' | 'sha256'> = { 'SCRAM-SHA-1': 'sha1', 'SCRAM-SHA-256': 'sha256' };
const KEY_LEN: Record<ScramMechanism, number> = { 'SCRAM-SHA-1': 20, 'SCRAM-SHA-256': 32 };
/** mongod's defaults (scramIterationCount / scramSHA256IterationCount). */
export const DEFAULT_ITERATIONS: Record<ScramMechanism, number> = { 'SCRAM-SHA-1': 10000, 'SCRAM-SHA-256': 15000 };
const SALT_LEN: Record<ScramMechanism, number> = { 'SCRAM-SHA-1': 16, 'SCRAM-SHA-256': 28 };

/** The password SCRAM hashes: MongoDB pre-digests it for SHA-1, SASLprep (NFKC here) for SHA-256. */
export function scramPassword(mechanism: ScramMechanism, user: string, password: string): string {
  if (mechanism === 'SCRAM-SHA-1') return createHash('md5').update(`${user}:mongo:${password}`, 'utf8').digest('hex');
  return password.normalize('NFKC');
}

function hmac(alg: string, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(alg, key).update(data).digest();
}

/** Derive the stored credential for a user (what createUser writes). */
export function deriveCredential(
  mechanism: ScramMechanism,
  user: string,
  password: string,
  salt: Buffer = randomBytes(SALT_LEN[mechanism]),
  iterationCount = DEFAULT_ITERATIONS[mechanism],
): ScramCredential {
  const alg = HASH[mechanism];
  const salted = pbkdf2Sync(scramPassword(mechanism, user, password), salt, iterationCount, KEY_LEN[mechanism], alg);
  const clientKey = hmac(alg, salted, 'Client Key');
  const storedKey = createHash(alg).update(clientKey).digest();
  const serverKey = hmac(alg, salted, 'Server Key');
  return { iterationCount, salt: salt.toString('base64'), storedKey: storedKey.toString('base64'), serverKey: serverKey.toString('base64') };
}

/** Parse `a=b,c=d` SCRAM attribute lists. */
export function parseAttributes(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

function decodeSaslName(n: string): string {
  return n.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export class ScramError extends Error {}

/**
 * The server side of one SCRAM conversation. `start` handles the client-first
 * message; `finish` checks the proof and returns the server-final message.
 */
export class ScramServerConversation {
  readonly mechanism: ScramMechanism;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | undefined;
  user = '';
  done = false;

  constructor(mechanism: ScramMechanism) {
    this.mechanism = mechanism;
  }

  /** Returns the user name the client claims, so the caller can look up credentials. */
  parseClientFirst(payload: Buffer): string {
    const text = payload.toString('utf8');
    if (!text.startsWith('n,') && !text.startsWith('y,')) throw new ScramError('channel binding not supported');
    const gs2End = text.indexOf(',', text.indexOf(',') + 1);
    this.clientFirstBare = text.slice(gs2End + 1);
    const attrs = parseAttributes(this.clientFirstBare);
    const n = attrs.get('n');
    const r = attrs.get('r');
    if (n === undefined || r === undefined) throw new ScramError('malformed client-first message');
    this.user = decodeSaslName(n);
    this.nonce = r + randomBytes(24).toString('base64');
    return this.user;
  }

  serverFirstMessage(credential: ScramCredential): Buffer {
    this.credential = credential;
    this.serverFirst = `r=${this.nonce},s=${credential.salt},i=${credential.iterationCount}`;
    return Buffer.from(this.serverFirst, 'utf8');
  }

  /** Verify the client proof; returns the server-final message (`v=...`). */
  finish(payload: Buffer): Buffer {
    const cred = this.credential;
    if (!cred) throw new ScramError('conversation not started');
    const text = payload.toString('utf8');
    const pIdx = text.lastIndexOf(',p=');
    if (pIdx < 0) throw new ScramError('missing proof');
    const withoutProof = text.slice(0, pIdx);
    const attrs = parseAttributes(text);
    if (attrs.get('r') !== this.nonce) throw new ScramError('nonce mismatch');
    const proof = Buffer.from(attrs.get('p') ?? '', 'base64');
    const alg = HASH[this.mechanism];
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(cred.storedKey, 'base64');
    const clientSignature = hmac(alg, storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError('bad proof');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const check = createHash(alg).update(clientKey).digest();
    if (!timingSafeEqual(check, storedKey)) throw new ScramError('bad proof');
    const serverSignature = hmac(alg, Buffer.from(cred.serverKey, 'base64'), authMessage);
    this.done = true;
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8');
  }
}
