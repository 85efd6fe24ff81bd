import tls, { type PeerCertificate } from 'node:tls';
import forge from 'node-forge';

/**
 * TLS to juju-db as Juju's own client dials it: the environment CA as the
 * only trust anchor, server name `juju-mongodb`. Used by both juju-db
 * client implementations so they verify exactly the same way.
 *
 * - The tunnel's 127.0.0.1 says nothing about the machine, so the
 *   certificate's names are checked against the names Juju always puts in a
 *   juju-db certificate (`juju-mongodb`, `localhost`, `127.0.0.1`); the
 *   chain must still lead to the environment CA.
 * - Juju 1.25's `cert` package makes RSA-1024 keys, and the Go that built
 *   some 1.25 releases signed the CA with SHA-1. Node 20's OpenSSL 3 refuses
 *   a SHA-1-signed CA ("CA signature digest algorithm too weak") at its
 *   default security level, so for a CA signed with SHA-1 (or MD5) — and
 *   only for connections to that environment — the level is lowered to 0.
 *   The chain and names are verified just the same.
 */

export const JUJU_DB_SERVER_NAMES = ['juju-mongodb', 'localhost', '127.0.0.1'] as const;

/** Accepts a certificate that is valid for any of the names juju-db certificates carry. */
export function checkJujuDbIdentity(_host: string, cert: PeerCertificate): Error | undefined {
  let first: Error | undefined;
  for (const name of JUJU_DB_SERVER_NAMES) {
    const error = tls.checkServerIdentity(name, cert);
    if (!error) return undefined;
    first ??= error;
  }
  return first;
}

const WEAK_SIGNATURES = new Set([
  forge.pki.oids['sha1WithRSAEncryption'],
  forge.pki.oids['md5WithRSAEncryption'],
  forge.pki.oids['md2WithRSAEncryption'],
]);

/** True when the first certificate of `caPem` is signed with SHA-1 or MD5 (as some Juju 1.25 CAs are). */
export function isWeaklySignedCa(caPem: string): boolean {
  try {
    const cert = forge.pki.certificateFromPem(caPem);
    return WEAK_SIGNATURES.has(cert.siginfo.algorithmOid);
  } catch {
    return false;
  }
}

export interface JujuDbTlsOptions {
  readonly ca: string;
  readonly servername: string;
  readonly checkServerIdentity: typeof checkJujuDbIdentity;
  /** Present only for a weakly signed CA: `DEFAULT:@SECLEVEL=0`. */
  readonly ciphers?: string;
}

/** The TLS options for one juju-db connection. */
export function jujuDbTlsOptions(caPem: string, servername = 'juju-mongodb'): JujuDbTlsOptions {
  return {
    ca: caPem,
    servername,
    checkServerIdentity: checkJujuDbIdentity,
    ...(isWeaklySignedCa(caPem) ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
}
