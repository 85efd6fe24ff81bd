import { createHash, createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { Binary, deserialize, serialize, type Document } from 'bson';
import forge from 'node-forge';

/**
 * Test helper: a tiny MongoDB 2.4-style server over TLS on 127.0.0.1 that
 * speaks the legacy wire protocol. It parses requests on its own (not with
 * the client's code, so the two check each other), records them, lets the
 * test answer each one, and otherwise answers like a legacy mongod:
 * isMaster, buildInfo, MONGODB-CR (getnonce/authenticate), SCRAM-SHA-1
 * (saslStart/saslContinue) and getLastError.
 */

export interface FakeRequest {
  readonly opCode: number;
  readonly requestId: number;
  /** Which accepted connection (1, 2, …) sent it. */
  readonly connection: number;
  readonly flags: number;
  readonly namespace: string;
  readonly skip: number;
  readonly numberToReturn: number;
  /** OP_QUERY query, OP_UPDATE/OP_DELETE selector. */
  readonly query: Document;
  readonly projection: Document | undefined;
  readonly update: Document | undefined;
  readonly documents: Document[];
  readonly cursorIds: bigint[];
}

export type FakeAnswer = { documents: Document[]; cursorId?: bigint; flags?: number } | 'silent' | 'close';
/** Return undefined to get the default answer. */
export type FakeHandler = (request: FakeRequest) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>;

export interface FakeServerOptions {
  readonly maxWireVersion?: number;
  readonly version?: string;
  readonly user?: string;
  readonly password?: string;
  readonly maxMessageSizeBytes?: number;
  /** Answers SCRAM with a server signature that does not prove the password (an impostor). */
  readonly wrongServerSignature?: boolean;
}

export interface FakeServer {
  readonly port: number;
  readonly caPem: string;
  readonly requests: FakeRequest[];
  /** Connections accepted so far, and those the client has closed. */
  readonly stats: { accepted: number; closedByClient: number };
  handler: FakeHandler;
  close(): Promise<void>;
}

interface Pki {
  caPem: string;
  keyPem: string;
  certPem: string;
}
let pki: Pki | undefined;

function newKey(): forge.pki.rsa.KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function newCertificate(publicKey: forge.pki.PublicKey, serial: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  return cert;
}

/** A self-signed CA like Juju's environment CA. */
function newCa(name: string): { cert: forge.pki.Certificate; keys: forge.pki.rsa.KeyPair } {
  const keys = newKey();
  const cert = newCertificate(keys.publicKey, '01');
  cert.setSubject([{ name: 'commonName', value: `juju-generated CA for environment "${name}"` }]);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert, keys };
}

/** The PEM of a CA that did not sign the fake server's certificate. */
export function otherCaPem(): string {
  return forge.pki.certificateToPem(newCa('other').cert);
}

/** A CA and a `juju-mongodb` server certificate it signed (keys from node:crypto: forge's are slow). */
function makePki(): Pki {
  if (pki) return pki;
  const ca = newCa('fake');
  const keys = newKey();
  const cert = newCertificate(keys.publicKey, '02');
  cert.setSubject([{ name: 'commonName', value: '*' }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'juju-mongodb' }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(ca.keys.privateKey, forge.md.sha256.create());
  pki = { caPem: forge.pki.certificateToPem(ca.cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey), certPem: forge.pki.certificateToPem(cert) };
  return pki;
}

function cstring(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  return [buf.toString('utf8', offset, end), end + 1];
}

function docs(buf: Buffer, offset: number, end = buf.length): Document[] {
  const out: Document[] = [];
  while (offset < end) {
    const size = buf.readInt32LE(offset);
    out.push(deserialize(buf.subarray(offset, offset + size)));
    offset += size;
  }
  return out;
}

/** Parses a client message per the wire-protocol spec. */
export function parseRequest(buf: Buffer, connection: number): FakeRequest {
  const opCode = buf.readInt32LE(12);
  const base = { opCode, requestId: buf.readInt32LE(4), connection, flags: 0, namespace: '', skip: 0, numberToReturn: 0, query: {}, projection: undefined, update: undefined, documents: [], cursorIds: [] };
  switch (opCode) {
    case 2004: {
      const [namespace, at] = cstring(buf, 20);
      const [query, projection] = docs(buf, at + 8);
      return { ...base, flags: buf.readInt32LE(16), namespace, skip: buf.readInt32LE(at), numberToReturn: buf.readInt32LE(at + 4), query: query!, projection };
    }
    case 2005: {
      const [namespace, at] = cstring(buf, 20);
      return { ...base, namespace, numberToReturn: buf.readInt32LE(at), cursorIds: [buf.readBigInt64LE(at + 4)] };
    }
    case 2007: {
      const n = buf.readInt32LE(20);
      return { ...base, cursorIds: Array.from({ length: n }, (_, i) => buf.readBigInt64LE(24 + 8 * i)) };
    }
    case 2002: {
      const [namespace, at] = cstring(buf, 20);
      return { ...base, flags: buf.readInt32LE(16), namespace, documents: docs(buf, at) };
    }
    case 2001: {
      const [namespace, at] = cstring(buf, 20);
      const [query, update] = docs(buf, at + 4);
      return { ...base, namespace, flags: buf.readInt32LE(at), query: query!, update };
    }
    case 2006: {
      const [namespace, at] = cstring(buf, 20);
      return { ...base, namespace, flags: buf.readInt32LE(at), query: docs(buf, at + 4)[0]! };
    }
    default:
      throw new Error(`fake server: unexpected opCode ${opCode}`);
  }
}

/** An OP_REPLY, built by hand. */
export function encodeReply(responseTo: number, documents: Document[], cursorId = 0n, flags = 0): Buffer {
  const body = Buffer.concat(documents.map((d) => serialize(d)));
  const head = Buffer.alloc(36);
  head.writeInt32LE(36 + body.length, 0);
  head.writeInt32LE(999, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(1, 12);
  head.writeInt32LE(flags, 16);
  head.writeBigInt64LE(cursorId, 20);
  head.writeInt32LE(0, 28);
  head.writeInt32LE(documents.length, 32);
  return Buffer.concat([head, body]);
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** The default answers of a legacy mongod with one user. */
function defaultAnswer(request: FakeRequest, options: Required<FakeServerOptions>, scram: Map<number, { nonce: string; first: string; serverFirst?: string }>): FakeAnswer {
  if (request.opCode !== 2004) return 'silent';
  if (!request.namespace.endsWith('.$cmd')) return { documents: [] };
  const q = request.query;
  const name = Object.keys(q)[0]?.toLowerCase();
  const ok = (doc: Document): FakeAnswer => ({ documents: [{ ...doc, ok: 1 }] });
  switch (name) {
    case 'ismaster':
      return ok({ ismaster: true, maxBsonObjectSize: 16 * 1024 * 1024, maxMessageSizeBytes: options.maxMessageSizeBytes, ...(options.maxWireVersion > 0 ? { maxWireVersion: options.maxWireVersion, minWireVersion: 0 } : {}) });
    case 'buildinfo':
      return ok({ version: options.version });
    case 'getnonce':
      return ok({ nonce: '2375531c32080ae8' });
    case 'authenticate': {
      const key = md5(`${q['nonce']}${q['user']}${md5(`${options.user}:mongo:${options.password}`)}`);
      return q['user'] === options.user && q['key'] === key ? ok({}) : { documents: [{ ok: 0, errmsg: 'auth fails' }] };
    }
    case 'saslstart': {
      const first = Buffer.from((q['payload'] as Binary).buffer).toString().slice(3);
      const nonce = `${/r=([^,]*)/.exec(first)![1]}${randomBytes(12).toString('base64')}`;
      const serverFirst = `r=${nonce},s=${Buffer.from('fakesalt12345678').toString('base64')},i=4096`;
      scram.set(request.connection, { nonce, first, serverFirst });
      return ok({ conversationId: 1, done: false, payload: new Binary(Buffer.from(serverFirst)) });
    }
    case 'saslcontinue': {
      const state = scram.get(request.connection);
      const text = Buffer.from((q['payload'] as Binary).buffer).toString();
      if (!state) return ok({ conversationId: 1, done: true, payload: new Binary(Buffer.alloc(0)) });
      scram.delete(request.connection);
      const salted = pbkdf2Sync(md5(`${options.user}:mongo:${options.password}`), Buffer.from('fakesalt12345678'), 4096, 20, 'sha1');
      const withoutProof = text.replace(/,p=.*$/, '');
      const authMessage = `${state.first},${state.serverFirst},${withoutProof}`;
      const clientKey = createHmac('sha1', salted).update('Client Key').digest();
      const signature = createHmac('sha1', createHash('sha1').update(clientKey).digest()).update(authMessage).digest();
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
      if (!text.endsWith(`,p=${proof}`) || !state.first.startsWith(`n=${options.user},`)) return { documents: [{ ok: 0, errmsg: 'Authentication failed.', code: 18, codeName: 'AuthenticationFailed' }] };
      const serverSig = createHmac('sha1', createHmac('sha1', salted).update('Server Key').digest()).update(authMessage).digest('base64');
      const v = options.wrongServerSignature ? Buffer.from(serverSig, 'base64').reverse().toString('base64') : serverSig;
      return ok({ conversationId: 1, done: false, payload: new Binary(Buffer.from(`v=${v}`)) });
    }
    case 'ping':
      return ok({});
    case 'getlasterror':
      return ok({ err: null, n: 0 });
    default:
      return { documents: [{ ok: 0, errmsg: `no such cmd: ${name}`, code: 59 }] };
  }
}

export async function startFakeServer(handler: FakeHandler = () => undefined, serverOptions: FakeServerOptions = {}): Promise<FakeServer> {
  const options: Required<FakeServerOptions> = { maxWireVersion: 0, version: '2.4.9', user: 'machine-0', password: 'sekrit', maxMessageSizeBytes: 48_000_000, wrongServerSignature: false, ...serverOptions };
  const { caPem, keyPem, certPem } = makePki();
  const scram = new Map<number, { nonce: string; first: string; serverFirst?: string }>();
  const sockets = new Set<tls.TLSSocket>();
  const state: FakeServer = {
    port: 0,
    caPem,
    requests: [],
    stats: { accepted: 0, closedByClient: 0 },
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) {
          s.removeAllListeners('close');
          s.destroy();
        }
        server.close(() => resolve());
      }),
  };
  const server = tls.createServer({ key: keyPem, cert: certPem }, (socket) => {
    const connection = ++state.stats.accepted;
    sockets.add(socket);
    let serverClosed = false;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (!serverClosed) state.stats.closedByClient++;
    });
    let pending = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const message = pending.subarray(0, pending.readInt32LE(0));
        pending = pending.subarray(message.length);
        const request = parseRequest(message, connection);
        state.requests.push(request);
        queue = queue.then(async () => {
          const answer = (await state.handler(request)) ?? defaultAnswer(request, options, scram);
          if (answer === 'close') {
            serverClosed = true;
            socket.destroy();
          } else if (answer !== 'silent' && !socket.destroyed) {
            socket.write(encodeReply(request.requestId, answer.documents, answer.cursorId, answer.flags));
          }
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, { port: (server.address() as { port: number }).port });
}
