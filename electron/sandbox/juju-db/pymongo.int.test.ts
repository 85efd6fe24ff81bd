import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, connect, makeCluster, startReplicaSet, testPki, type TestCluster } from './test-support';

const run = promisify(execFile);

/** A python3 that can import pymongo (Debian's python3-pymongo lives in /usr/bin/python3). */
async function pythonWithPymongo(): Promise<string> {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      await run(py, ['-c', 'import pymongo']);
      return py;
    } catch {
      // try the next one
    }
  }
  throw new Error('pymongo is not importable: apt-get install -y python3-pymongo');
}

const SCRIPT = `
import json, sys
import pymongo.client_options as client_options
from pymongo import MongoClient
# juju-db's certificates have Juju 1.25's RSA-1024 keys, below Debian's default OpenSSL
# security level (2): this client lowers it to 1 for its own connections, as any
# client of a real Juju 1.25 state server must.
_get_ssl_context = client_options.get_ssl_context
def _juju_ssl_context(*args):
    ctx = _get_ssl_context(*args)
    ctx.set_ciphers('DEFAULT:@SECLEVEL=1')
    return ctx
client_options.get_ssl_context = _juju_ssl_context
port, ca, user, pw, mech = sys.argv[1:6]
c = MongoClient('127.0.0.1', int(port), directConnection=True, tls=True, tlsCAFile=ca,
                username=user, password=pw, authSource='admin', authMechanism=mech,
                serverSelectionTimeoutMS=5000)
db = c['juju']
db.services.insert_one({'_id': 'wordpress', 'charm': 'cs:trusty/wordpress-4', 'units': 2})
db.services.insert_many([{'_id': 'mysql-%d' % i, 'n': i} for i in range(5)])
found = db.services.find_one({'_id': 'wordpress'})
count = db.services.count_documents({'n': {'$gte': 2}})
st = c.admin.command('replSetGetStatus')
print(json.dumps({'charm': found['charm'], 'count': count, 'set': st['set'],
                  'states': [m['stateStr'] for m in st['members']], 'version': c.server_info()['version']}))
`;

let t: TestCluster;

beforeAll(async () => {
  t = await makeCluster({ profile: '6.0' });
  await startReplicaSet(t, ['0']);
});

afterAll(async () => {
  await t?.dispose();
});

describe('juju-db with a stock non-Node client (pymongo)', () => {
  for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-1']) {
    it(`inserts, finds and reads replSetGetStatus over TLS + ${mech}`, async () => {
      const py = await pythonWithPymongo();
      const dir = mkdtempSync(join(tmpdir(), 'juju-db-py-'));
      const caFile = join(dir, 'ca.pem');
      const script = join(dir, 'check.py');
      writeFileSync(caFile, testPki().ca.certPem);
      writeFileSync(script, SCRIPT);
      const port = String(t.cluster.member('0')!.port);
      const driver = await connect(t.cluster, '0');
      await driver.db('juju').collection('services').deleteMany({});
      const { stdout } = await run(py, [script, port, caFile, ADMIN.user, ADMIN.password, mech], { timeout: 30_000 });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(out).toEqual({ charm: 'cs:trusty/wordpress-4', count: 3, set: 'juju', states: ['PRIMARY'], version: expect.any(String) });
      // What pymongo wrote, the official driver reads back.
      expect(await driver.db('juju').collection('services').countDocuments({})).toBe(6);
      await driver.close();
    });
  }
});
