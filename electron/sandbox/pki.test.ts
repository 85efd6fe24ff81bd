import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import forge from 'node-forge';
import { createCertificateAuthority, issueServerCertificate, signatureOf } from './pki';

describe('sandbox PKI', () => {
  it('issues a server certificate that verifies against the CA over TLS', async () => {
    const ca = createCertificateAuthority('sandbox');
    const server = issueServerCertificate(ca, { dns: ['localhost', 'juju-mongodb'], ips: ['127.0.0.1'] });
    const x509 = new X509Certificate(server.certPem);
    expect(x509.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(x509.subjectAltName).toContain('IP Address:127.0.0.1');

    const srv = tls.createServer({ cert: server.certPem, key: server.keyPem }, (s) => s.end('hello'));
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as { port: number }).port;
    try {
      const good = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem });
      await once(good, 'secureConnect');
      expect(good.authorized).toBe(true);
      good.destroy();

      const other = createCertificateAuthority('other');
      const bad = tls.connect({ host: '127.0.0.1', port, ca: other.certPem });
      const [err] = (await once(bad, 'error')) as [NodeJS.ErrnoException];
      expect(err.code).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/);
    } finally {
      srv.close();
    }
  });
});

describe('PEM encoding', () => {
  it('uses LF line endings like Juju, so agent.conf holds them as block scalars', () => {
    const ca = createCertificateAuthority('sandbox');
    const server = issueServerCertificate(ca, { dns: ['localhost'], ips: ['127.0.0.1'] });
    for (const pem of [ca.certPem, ca.keyPem, server.certPem, server.keyPem]) expect(pem).not.toContain('\r');
  });
});

describe('Juju 1.25 key material', () => {
  it('makes RSA-1024 keys for the CA and the server certificate, signed with SHA-256 by default', () => {
    const ca = createCertificateAuthority('sandbox');
    const server = issueServerCertificate(ca, { dns: ['juju-mongodb'], ips: [] });
    for (const pem of [ca.keyPem, server.keyPem]) {
      const key = createPrivateKey(pem);
      expect(key.asymmetricKeyType).toBe('rsa');
      expect(key.asymmetricKeyDetails?.modulusLength).toBe(1024);
    }
    expect(new X509Certificate(server.certPem).subjectAltName).toContain('DNS:juju-mongodb');
    expect(signatureOf(ca.certPem)).toBe('sha256');
    expect(forge.pki.certificateFromPem(server.certPem).signatureOid).toBe(forge.pki.oids.sha256WithRSAEncryption);
  });

  it('signs the CA and what it issues with SHA-1 on request; Node 20 verifies that chain only below security level 1', async () => {
    const ca = createCertificateAuthority('sandbox', 10, 'sha1');
    const server = issueServerCertificate(ca, { dns: ['juju-mongodb'], ips: ['127.0.0.1'] });
    expect(signatureOf(ca.certPem)).toBe('sha1');
    expect(forge.pki.certificateFromPem(ca.certPem).signatureOid).toBe(forge.pki.oids.sha1WithRSAEncryption);
    expect(forge.pki.certificateFromPem(server.certPem).signatureOid).toBe(forge.pki.oids.sha1WithRSAEncryption);
    expect(new X509Certificate(server.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);

    const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ciphers: 'DEFAULT:@SECLEVEL=0' }, (s) => s.end('hello'));
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as { port: number }).port;
    try {
      const strict = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'juju-mongodb' });
      const [err] = (await once(strict, 'error')) as [NodeJS.ErrnoException];
      expect(err.message).toMatch(/too weak/);
      const lowered = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'juju-mongodb', ciphers: 'DEFAULT:@SECLEVEL=0' });
      await once(lowered, 'secureConnect');
      expect(lowered.authorized).toBe(true);
      lowered.destroy();
    } finally {
      srv.close();
    }
  });
});
