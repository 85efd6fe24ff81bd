import { createHash } from 'node:crypto';
import {
  AGENT_VERSION,
  API_PORT,
  JOB_CODES,
  STATE_PORT,
  TOOLS_VERSION,
  isStateServer,
  type EnvironmentRecord,
  type MachineRecord,
  type ServiceRecord,
  type UnitRecord,
} from '../model';
import { BEINGS_COLLECTION, PINGS_COLLECTION, PRESENCE_DB, SEQS_COLLECTION } from '../../../shared/model/presence';

/**
 * Juju 1.25's documents for the sandbox environment, built from the same
 * record the host trees come from, so `juju.machines` and each machine's
 * agent.conf agree on addresses, nonce and jobs. Field names follow 1.25's
 * bson tags (goyaml/mgo lower-casing, env-uuid-prefixed `_id`s).
 */

export type Doc = Record<string, unknown>;

export interface SeedBatch {
  readonly db: string;
  readonly collection: string;
  readonly docs: Doc[];
}

const LIFE_ALIVE = 0;

/** `utils.AgentPasswordHash`: what Juju stores instead of agent passwords. */
export function agentPasswordHash(password: string): string {
  return createHash('sha512').update(password).digest('base64').slice(0, 24);
}

export function globalId(env: EnvironmentRecord, localId: string): string {
  return `${env.uuid}:${localId}`;
}

function address(value: string, origin: string): Doc {
  return { value, addresstype: 'ipv4', networkscope: 'local-cloud', origin };
}

function tools(): Doc {
  return {
    version: TOOLS_VERSION,
    url: `https://streams.canonical.com/juju/tools/releases/juju-${TOOLS_VERSION}.tgz`,
    sha256: '',
    size: 0,
  };
}

export function machineDoc(env: EnvironmentRecord, m: MachineRecord, principals: readonly string[]): Doc {
  return {
    _id: globalId(env, m.id),
    machineid: m.id,
    'env-uuid': env.uuid,
    nonce: m.nonce,
    series: env.series,
    containertype: '',
    principals: [...principals],
    life: LIFE_ALIVE,
    tools: tools(),
    jobs: m.jobs.map((j) => JOB_CODES[j]),
    novote: !isStateServer(m),
    hasvote: isStateServer(m),
    passwordhash: agentPasswordHash(m.apiPassword),
    clean: principals.length === 0,
    addresses: [address(m.address, 'provider')],
    machineaddresses: [address(m.address, 'machine')],
    preferredpublicaddress: address(m.address, 'provider'),
    preferredprivateaddress: address(m.address, 'provider'),
    supportedcontainersknown: true,
    supportedcontainers: ['lxc', 'kvm'],
    placement: '',
    instanceid: m.instanceId,
    'txn-revno': 4,
  };
}

export function instanceDataDoc(env: EnvironmentRecord, m: MachineRecord): Doc {
  return {
    _id: globalId(env, m.id),
    machineid: m.id,
    'env-uuid': env.uuid,
    instanceid: m.instanceId,
    status: 'running',
    arch: 'amd64',
    mem: 1024,
    rootdisk: 20480,
    cpucores: 1,
    cpupower: 100,
    tags: [],
    availzone: 'sandbox-1a',
    'txn-revno': 1,
  };
}

export function stateServersDoc(env: EnvironmentRecord): Doc {
  const ids = env.machines.filter(isStateServer).map((m) => m.id);
  return { _id: 'e', 'env-uuid': env.uuid, machineids: ids, votingmachineids: ids, 'txn-revno': 1 };
}

export function environmentDoc(env: EnvironmentRecord): Doc {
  return { _id: env.uuid, name: env.name, life: LIFE_ALIVE, owner: 'admin@local', 'server-uuid': env.uuid, 'txn-revno': 1 };
}

export function environConfigDoc(env: EnvironmentRecord, caCertPem: string, authorizedKeys: string): Doc {
  return {
    _id: globalId(env, 'e'),
    'env-uuid': env.uuid,
    settings: {
      name: env.name,
      type: 'ec2',
      uuid: env.uuid,
      'default-series': env.series,
      'agent-version': AGENT_VERSION,
      'state-port': STATE_PORT,
      'api-port': API_PORT,
      'ca-cert': caCertPem,
      'authorized-keys': authorizedKeys.trim(),
      'firewall-mode': 'instance',
      'logging-config': '<root>=WARNING;unit=DEBUG',
      'image-stream': 'released',
      'ssl-hostname-verification': true,
      'proxy-ssh': false,
      'lxc-clone': true,
      development: false,
      'test-mode': false,
    },
    version: 1,
    'txn-revno': 1,
  };
}

export function serviceDoc(env: EnvironmentRecord, s: ServiceRecord, relationCount: number): Doc {
  return {
    _id: globalId(env, s.name),
    name: s.name,
    'env-uuid': env.uuid,
    series: env.series,
    subordinate: false,
    charmurl: s.charmUrl,
    forcecharm: false,
    life: LIFE_ALIVE,
    unitcount: s.units.length,
    relationcount: relationCount,
    exposed: false,
    minunits: 0,
    ownertag: 'user-admin@local',
    'txn-revno': 2 + s.units.length,
  };
}

export function unitDoc(env: EnvironmentRecord, s: ServiceRecord, u: UnitRecord): Doc {
  return {
    _id: globalId(env, u.name),
    name: u.name,
    'env-uuid': env.uuid,
    service: s.name,
    series: env.series,
    charmurl: s.charmUrl,
    principal: '',
    subordinates: [],
    storageattachmentcount: 0,
    machineid: u.machineId,
    resolved: '',
    tools: tools(),
    life: LIFE_ALIVE,
    passwordhash: agentPasswordHash(u.password),
    'txn-revno': 3,
  };
}

export function serviceSettingsDoc(env: EnvironmentRecord, s: ServiceRecord, settings: Doc): Doc {
  return { _id: globalId(env, `s#${s.name}#${s.charmUrl}`), 'env-uuid': env.uuid, settings, version: 1, 'txn-revno': 1 };
}

export function charmDoc(env: EnvironmentRecord, s: ServiceRecord): Doc {
  return {
    _id: globalId(env, s.charmUrl),
    url: s.charmUrl,
    'env-uuid': env.uuid,
    meta: { name: s.name, summary: `${s.name} charm`, description: `${s.name} deployed in the Quorum sandbox` },
    storagepath: `charms/${s.charmUrl.replace(/[:/]/g, '_')}`,
    bundlesha256: createHash('sha256').update(s.charmUrl).digest('hex'),
    pendingupload: false,
    placeholder: false,
    'txn-revno': 1,
  };
}

const DEFAULT_CONFIG: Record<string, Doc> = {
  mysql: { 'dataset-size': '80%', 'max-connections': -1, 'query-cache-type': 'OFF', 'binlog-format': 'MIXED' },
  wordpress: { tuning: 'single', 'wp-content': '', debug: 'no', engine: 'nginx' },
};

/** All the documents of the default environment (everything but scale filler). */
export function jujuSeed(env: EnvironmentRecord, caCertPem: string, authorizedKeys: string): SeedBatch[] {
  const principals = (id: string) => env.services.flatMap((s) => s.units.filter((u) => u.machineId === id).map((u) => u.name));
  const relations: Doc[] = [];
  const mysql = env.services.find((s) => s.name === 'mysql');
  const wordpress = env.services.find((s) => s.name === 'wordpress');
  if (mysql && wordpress) {
    const key = 'wordpress:db mysql:db';
    relations.push({
      _id: globalId(env, key),
      key,
      'env-uuid': env.uuid,
      id: 0,
      endpoints: [
        { servicename: 'wordpress', relation: { name: 'db', role: 'requirer', interface: 'mysql', optional: false, limit: 1, scope: 'global' } },
        { servicename: 'mysql', relation: { name: 'db', role: 'provider', interface: 'mysql', optional: false, limit: 0, scope: 'global' } },
      ],
      life: LIFE_ALIVE,
      unitcount: mysql.units.length + wordpress.units.length,
      'txn-revno': 1,
    });
  }
  const machineStatus = env.machines.map((m) => ({
    _id: globalId(env, `m#${m.id}`),
    'env-uuid': env.uuid,
    status: 'started',
    statusinfo: '',
    statusdata: {},
    updated: Date.parse(m.createdAt) * 1_000_000,
  }));
  const unitStatus = env.services.flatMap((s) =>
    s.units.map((u) => ({ _id: globalId(env, `u#${u.name}`), 'env-uuid': env.uuid, status: 'active', statusinfo: '', statusdata: {} })),
  );
  return [
    { db: 'juju', collection: 'environments', docs: [environmentDoc(env)] },
    { db: 'juju', collection: 'machines', docs: env.machines.map((m) => machineDoc(env, m, principals(m.id))) },
    { db: 'juju', collection: 'instanceData', docs: env.machines.map((m) => instanceDataDoc(env, m)) },
    { db: 'juju', collection: 'stateServers', docs: [stateServersDoc(env)] },
    { db: 'juju', collection: 'services', docs: env.services.map((s) => serviceDoc(env, s, relations.length)) },
    { db: 'juju', collection: 'units', docs: env.services.flatMap((s) => s.units.map((u) => unitDoc(env, s, u))) },
    { db: 'juju', collection: 'charms', docs: env.services.map((s) => charmDoc(env, s)) },
    { db: 'juju', collection: 'relations', docs: relations },
    { db: 'juju', collection: 'statuses', docs: [...machineStatus, ...unitStatus] },
    {
      db: 'juju',
      collection: 'settings',
      docs: [
        environConfigDoc(env, caCertPem, authorizedKeys),
        ...env.services.map((s) => serviceSettingsDoc(env, s, DEFAULT_CONFIG[s.name] ?? {})),
      ],
    },
    ...presenceSeed(),
  ];
}

/**
 * The presence database, empty as after bootstrap: the agents' pingers
 * (`presence/`) fill `presence.seqs`, `presence.beings` and `presence.pings`
 * once they run.
 */
function presenceSeed(): SeedBatch[] {
  return [SEQS_COLLECTION, BEINGS_COLLECTION, PINGS_COLLECTION].map((collection) => ({ db: PRESENCE_DB, collection, docs: [] }));
}
