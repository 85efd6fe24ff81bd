import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * The sandbox environment's X.509 material, shaped like Juju 1.25's: an
 * environment CA (`cacert`/`caprivatekey` in agent.conf) and a state-server
 * certificate signed by it (`stateservercert`/`stateserverkey`, and
 * `server.pem` = cert + key, which juju-db serves TLS with).
 *
 * Keys come from Node's native RSA generator (fast); node-forge only builds
 * and signs the certificates, which Node cannot do on its own.
 *
 * Juju 1.25's `cert` package makes RSA-1024 keys, so do we. The signature
 * algorithm is whatever the Go that built Juju chose for x509
 * CreateCertificate: SHA-1 for older toolchains, SHA-256 for later ones, so
 * both exist in the field. SHA-256 stays the default here: it is what a
 * current build produces and Node 20's OpenSSL 3 accepts it without lowering
 * the security level; `signature: 'sha1'` makes the older kind (every
 * signature in the chain SHA-1, as that Go would make them) so that path,
 * which needs `@SECLEVEL=0` on the client, is exercised too.
 */

/** Digest used to sign the environment's certificates. */
export type CaSignature = 'sha1' | 'sha256';

/** Juju 1.25's key size (cert.go: rsa.GenerateKey(rand.Reader, 1024)). */
export const RSA_KEY_BITS = 1024;

function digest(signature: CaSignature): forge.md.MessageDigest {
  return signature === 'sha1' ? forge.md.sha1.create() : forge.md.sha256.create();
}

export interface CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ServerCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

function rsaKeyPair(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: RSA_KEY_BITS,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const priv = forge.pki.privateKeyFromPem(privateKey);
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { publicKey: pub, privateKey: priv, keyPem: privateKey };
}

/** forge writes CRLF line endings; Juju's PEMs (and agent.conf block scalars) use LF. */
function toLf(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}

/** Valid from five minutes ago (clock skew) for `years` years. */
function setValidity(cert: forge.pki.Certificate, years: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 5 * 60_000);
  cert.validity.notAfter = new Date(now + years * 365 * 24 * 3600_000);
}

function serial(): string {
  // Positive, 16 bytes.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** A CA like Juju's: `CN=juju-generated CA for environment "<name>"`, `O=juju`. */
export function createCertificateAuthority(environmentName: string, years = 10, signature: CaSignature = 'sha256'): CertificateAuthority {
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  setValidity(cert, years);
  const attrs = [
    { name: 'commonName', value: `juju-generated CA for environment "${environmentName}"` },
    { name: 'organizationName', value: 'juju' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, digest(signature));
  return { certPem: toLf(forge.pki.certificateToPem(cert)), keyPem: keys.keyPem };
}

/** The digest a CA certificate was signed with (certificates it issues use the same). */
export function signatureOf(certPem: string): CaSignature {
  return forge.pki.certificateFromPem(certPem).signatureOid === forge.pki.oids.sha1WithRSAEncryption ? 'sha1' : 'sha256';
}

/**
 * A server certificate signed by `ca`, valid for the given DNS names and IP
 * addresses (juju-db's is valid for `localhost`, `juju-apiserver`,
 * `juju-mongodb`, `127.0.0.1` and the machine's addresses).
 */
export function issueServerCertificate(
  ca: CertificateAuthority,
  names: { dns: readonly string[]; ips: readonly string[] },
  years = 10,
): ServerCertificate {
  const keys = rsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  setValidity(cert, years);
  cert.setSubject([
    { name: 'commonName', value: '*' },
    { name: 'organizationName', value: 'juju' },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...names.dns.map((value) => ({ type: 2 as const, value })),
        ...names.ips.map((ip) => ({ type: 7 as const, ip })),
      ],
    },
  ]);
  cert.sign(caKey, digest(signatureOf(ca.certPem)));
  return { certPem: toLf(forge.pki.certificateToPem(cert)), keyPem: keys.keyPem };
}
