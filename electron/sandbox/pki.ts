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
 */

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
    modulusLength: 2048,
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
export function createCertificateAuthority(environmentName: string, years = 10): CertificateAuthority {
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
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: toLf(forge.pki.certificateToPem(cert)), keyPem: keys.keyPem };
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
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: toLf(forge.pki.certificateToPem(cert)), keyPem: keys.keyPem };
}
