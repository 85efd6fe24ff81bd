/**
 * Builds realistic topology inputs without a database: Juju documents and
 * replica-set replies shaped like the real ones, for tests, the renderer's
 * component tests and the 1,000-machine benchmark. Everything goes through
 * the real parsers and `buildTopology`, so a synthetic topology is exactly
 * what the service would publish for such an environment.
 */

import { parseInstanceDoc, parseMachineDoc, parseStateServersDoc, parseStatusDoc } from './juju-documents';
import { parseReplSetConfig, parseReplSetStatus } from './replica-set';
import { buildTopology, type Topology, type TopologyInput } from './topology';

export interface SyntheticOptions {
  readonly environmentId?: string;
  /** Total machines, state servers included (default 6). */
  readonly machines?: number;
  /** Voting state servers: machines `0..n-1` (default 3). */
  readonly stateServers?: number;
  /** Machine ids whose juju-db member is down. */
  readonly down?: readonly string[];
  /** Machine id of the primary (default the lowest healthy state server). */
  readonly primary?: string | null;
  /** Seconds each healthy secondary lags, by machine id. */
  readonly lag?: Readonly<Record<string, number>>;
  /** Machine ids whose agent presence is gone (non-state servers only). */
  readonly agentsDown?: readonly string[];
  readonly observedAt?: string;
}

const UUID = '5b1e4d0c-8f7a-4c0e-9a43-1f1c6d2e3a10';

export function syntheticAddress(id: string): string {
  const n = Number(id);
  return `10.23.${Math.floor((10 + n) / 250)}.${(10 + n) % 250}`;
}

/** The raw documents and replies, as the driver would return them. */
export function syntheticRaw(options: SyntheticOptions = {}) {
  const total = options.machines ?? 6;
  const servers = options.stateServers ?? 3;
  const down = new Set(options.down ?? []);
  const ids = Array.from({ length: total }, (_, i) => String(i));
  const serverIds = ids.slice(0, servers);
  const primary = options.primary === undefined ? (serverIds.find((id) => !down.has(id)) ?? null) : options.primary;
  const quorumHolds = serverIds.filter((id) => !down.has(id)).length * 2 > servers;
  const now = 1_750_000_000;
  const machines = ids.map((id) => ({
    _id: `${UUID}:${id}`,
    machineid: id,
    'env-uuid': UUID,
    series: 'trusty',
    life: 0,
    jobs: serverIds.includes(id) ? [1, 2] : [1],
    novote: false,
    hasvote: serverIds.includes(id),
    tools: { version: '1.25.6-trusty-amd64' },
    addresses: [{ value: syntheticAddress(id), addresstype: 'ipv4', networkscope: 'local-cloud' }],
  }));
  const instanceData = ids.map((id) => ({
    _id: `${UUID}:${id}`,
    machineid: id,
    instanceid: `i-${id.padStart(8, '0')}`,
    status: 'ACTIVE',
    arch: 'amd64',
    cpucores: 1,
    mem: 1024,
    rootdisk: 20480,
  }));
  const statuses = ids.map((id) => ({ _id: `${UUID}:m#${id}`, status: 'started', statusinfo: '' }));
  const stateServers = { _id: 'e', machineids: serverIds, votingmachineids: serverIds };
  const config = {
    config: {
      _id: 'juju',
      version: 1,
      members: serverIds.map((id) => ({ _id: Number(id) + 1, host: `${syntheticAddress(id)}:37017`, tags: { 'juju-machine-id': id } })),
    },
  };
  const status = {
    set: 'juju',
    members: serverIds.map((id) => {
      const isDown = down.has(id);
      const isPrimary = quorumHolds && id === primary;
      const state = isDown ? 8 : isPrimary ? 1 : 2;
      return {
        _id: Number(id) + 1,
        name: `${syntheticAddress(id)}:37017`,
        health: isDown ? 0 : 1,
        state,
        stateStr: isDown ? '(not reachable/healthy)' : isPrimary ? 'PRIMARY' : 'SECONDARY',
        optimeDate: new Date((now - (isPrimary ? 0 : (options.lag?.[id] ?? 0))) * 1000),
        ...(isDown ? { lastHeartbeatMessage: 'Connection refused' } : {}),
      };
    }),
  };
  return { machines, instanceData, statuses, stateServers, config, status };
}

export function syntheticInput(options: SyntheticOptions = {}): TopologyInput {
  const raw = syntheticRaw(options);
  const agentsDown = new Set(options.agentsDown ?? []);
  const notNull = <T>(v: T | null): v is T => v !== null;
  return {
    environmentId: options.environmentId ?? 'sandbox',
    juju: {
      machines: raw.machines.map(parseMachineDoc).filter(notNull),
      instances: raw.instanceData.map(parseInstanceDoc).filter(notNull),
      statuses: raw.statuses.map(parseStatusDoc).filter(notNull),
      stateServers: parseStateServersDoc(raw.stateServers),
      presence: agentsDown.size === 0 ? null : new Map(raw.machines.map((m) => [m.machineid, !agentsDown.has(m.machineid)])),
    },
    replicaSet: { config: parseReplSetConfig(raw.config), status: parseReplSetStatus(raw.status) },
    readFrom: raw.config.config.members[0]?.host ?? null,
    observedAt: options.observedAt ?? '2025-06-15T15:06:40.000Z',
  };
}

export function syntheticTopology(options: SyntheticOptions = {}): Topology {
  return buildTopology(syntheticInput(options));
}
