import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from './pki';

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
