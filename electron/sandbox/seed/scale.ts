import { randomBytes } from 'node:crypto';
import type { EnvironmentRecord, ServiceRecord } from '../model';
import { agentPasswordHash, serviceDoc, serviceSettingsDoc, unitDoc, type Doc } from './juju-docs';

/**
 * Filler that grows the sandbox towards a target size (benchmarks of backup
 * and restore on a big juju-db): many services with units and settings
 * whose config blobs have the size and texture of real charm config
 * (certificates, scripts, base64 payloads). Produced lazily in batches so
 * seeding a gigabyte runs in flat memory.
 */

export interface ScaleBatch {
  readonly collection: string;
  readonly docs: Doc[];
  readonly bytes: number;
}

const UNITS_PER_SERVICE = 3;
/** The config blob of one filler service: a certificate-sized payload, as charms keep in config. */
const SETTINGS_BLOB_BYTES = 48 * 1024;

function textBlob(bytes: number): string {
  // base64 of random bytes: incompressible, like the certificates and keys charms keep in config.
  const raw = randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');
  return raw.match(/.{1,76}/g)!.join('\n');
}

export function* scaleBatches(env: EnvironmentRecord, targetMb: number, batchBytes = 4 * 1024 * 1024): Generator<ScaleBatch> {
  const target = targetMb * 1024 * 1024;
  const workers = env.machines.filter((m) => m.jobs.includes('JobHostUnits') && !m.jobs.includes('JobManageEnviron'));
  const hosts = workers.length ? workers : env.machines;
  let produced = 0;
  let n = 0;
  let services: Doc[] = [];
  let units: Doc[] = [];
  let settings: Doc[] = [];
  let pending = 0;
  const flush = function* (): Generator<ScaleBatch> {
    if (services.length) yield { collection: 'services', docs: services, bytes: 0 };
    if (units.length) yield { collection: 'units', docs: units, bytes: 0 };
    if (settings.length) yield { collection: 'settings', docs: settings, bytes: pending };
    services = [];
    units = [];
    settings = [];
    pending = 0;
  };
  while (produced < target) {
    n += 1;
    const name = `app-${String(n).padStart(5, '0')}`;
    const svc: ServiceRecord = {
      name,
      charmUrl: `cs:trusty/${name}-${(n % 40) + 1}`,
      units: Array.from({ length: UNITS_PER_SERVICE }, (_, i) => ({
        name: `${name}/${i}`,
        machineId: hosts[(n + i) % hosts.length]!.id,
        password: '',
      })),
    };
    const docs = [
      serviceDoc(env, svc, 0),
      ...svc.units.map((u) => ({ ...unitDoc(env, svc, u), passwordhash: agentPasswordHash(u.name) })),
      serviceSettingsDoc(env, svc, {
        'ssl-cert': textBlob(SETTINGS_BLOB_BYTES),
        'install-sources': `deb http://ppa.launchpad.net/${name}/stable/ubuntu trusty main`,
        'config-revision': n,
      }),
    ];
    services.push(docs[0]!);
    units.push(...docs.slice(1, -1));
    settings.push(docs[docs.length - 1]!);
    // Counted as JSON: close to (and slightly under) the BSON size the documents take.
    const bytes = docs.reduce((sum, d) => sum + JSON.stringify(d).length, 0);
    produced += bytes;
    pending += bytes;
    if (pending >= batchBytes) yield* flush();
  }
  yield* flush();
}

/** How many filler services a target size yields (the generator's own count, for tests and progress). */
export function scaleServiceCount(env: EnvironmentRecord, targetMb: number): number {
  let n = 0;
  for (const b of scaleBatches(env, targetMb)) if (b.collection === 'services') n += b.docs.length;
  return n;
}

