import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { JenvWriter, jenvFile, renderJenv } from './jenv';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const content = (servers: string[]) => ({ env: { name: 'sandbox', uuid: 'u-1', series: 'trusty' }, caCertPem: CA, password: 's3cret', stateServers: servers });

describe('sandbox .jenv', () => {
  it('has the keys Juju 1.25 writes, state-servers as API host:ports', () => {
    const doc = YAML.parse(renderJenv(content(['10.23.0.10:17070', '10.23.0.11:17070']))) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['user', 'password', 'environ-uuid', 'server-uuid', 'state-servers', 'ca-cert', 'bootstrap-config']);
    expect(doc).toMatchObject({ user: 'admin', password: 's3cret', 'environ-uuid': 'u-1', 'state-servers': ['10.23.0.10:17070', '10.23.0.11:17070'], 'ca-cert': CA });
    expect(doc['bootstrap-config']).toMatchObject({ name: 'sandbox', type: 'sandbox', uuid: 'u-1', 'admin-secret': 's3cret', 'api-port': 17070, 'state-port': 37017 });
  });

  it('is written 0600 only when it changes', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-jenv-'));
    try {
      const w = new JenvWriter(jenvFile(dir, 'sandbox'));
      expect(w.file).toBe(path.join(dir, 'environments', 'sandbox.jenv'));
      expect(await w.write(content(['10.23.0.10:17070']))).toBe(true);
      expect(await w.write(content(['10.23.0.10:17070']))).toBe(false);
      expect(await w.write(content(['10.23.0.10:17070', '10.23.0.13:17070']))).toBe(true);
      expect((await fs.stat(w.file)).mode & 0o777).toBe(0o600);
      expect((YAML.parse(await fs.readFile(w.file, 'utf8')) as Record<string, unknown>)['state-servers']).toHaveLength(2);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
