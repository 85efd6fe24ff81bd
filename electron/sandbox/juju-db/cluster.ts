/**
 * `createJujuDbCluster`: the sandbox's juju-db replica set, one member per
 * state-server machine, all in this process. Members persist under
 * `<dataDir>/machine-<id>/` and find each other through the coordinator.
 */
import { join } from 'node:path';
import type { CreateJujuDbCluster, JujuDbCluster, JujuDbClusterOptions, JujuDbMember } from './api';
import { ReplicaNode, type ClusterHooks } from './node';
import { DEFAULT_PROFILE } from './profile';
import { Coordinator } from './replset/coordinator';
import { SharedBlocks } from './storage/blocks';
import type { DataStore } from './storage/data-store';

/** Oplog cap (bytes it would take on disk): the `--oplogSize 1024` (MB) the machines' juju-db declares. */
export const DEFAULT_OPLOG_BYTES = 1024 * 1024 * 1024;

export class JujuDbClusterImpl implements JujuDbCluster {
  private readonly nodes = new Map<string, ReplicaNode>();
  private readonly coordinator: Coordinator;
  private readonly hooks: ClusterHooks;
  /** Identical blocks are loaded once for all members. */
  readonly shared = new SharedBlocks();

  constructor(private readonly options: JujuDbClusterOptions) {
    const electionTimeoutMillis = options.electionTimeoutMillis ?? 1500;
    this.coordinator = new Coordinator(() => [...this.nodes.values()], electionTimeoutMillis);
    const coordinator = this.coordinator;
    this.hooks = {
      setName: options.setName,
      profile: options.profile ?? DEFAULT_PROFILE,
      electionTimeoutMillis,
      onWrite: () => coordinator.scheduleReplication(),
      onStateChange: () => coordinator.requestElection(false),
      visibleFrom: (node) => coordinator.visibleFrom(node),
      requestElection: (immediate) => coordinator.requestElection(immediate),
    };
    this.coordinator.start();
  }

  async startMember(machineId: string, host: string): Promise<JujuDbMember> {
    let node = this.nodes.get(machineId);
    if (!node) {
      node = new ReplicaNode({
        machineId,
        host,
        dir: join(this.options.dataDir, `machine-${machineId}`),
        tls: this.options.tls,
        bootstrapUsers: this.options.bootstrapUsers,
        oplogMaxBytes: DEFAULT_OPLOG_BYTES,
        hooks: this.hooks,
        shared: this.shared,
        peers: () => [...this.nodes.values()].map((n) => n.store).filter((s): s is DataStore => s !== null),
      });
      this.nodes.set(machineId, node);
    }
    node.host = host;
    await node.start();
    this.coordinator.tick();
    return node;
  }

  async stopMember(machineId: string): Promise<void> {
    await this.nodes.get(machineId)?.stop();
    this.coordinator.tick();
  }

  member(machineId: string): JujuDbMember | undefined {
    return this.nodes.get(machineId);
  }

  members(): readonly JujuDbMember[] {
    return [...this.nodes.values()];
  }

  setHealthy(machineId: string, healthy: boolean): void {
    const node = this.nodes.get(machineId);
    if (!node) return;
    node.healthy = healthy;
    this.coordinator.tick();
  }

  async close(): Promise<void> {
    this.coordinator.stop();
    await Promise.all([...this.nodes.values()].map((n) => n.stop()));
  }
}

export const createJujuDbCluster: CreateJujuDbCluster = async (options) => new JujuDbClusterImpl(options);
