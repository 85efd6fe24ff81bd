import type { JujuDbProfile } from './juju-db/api';
import type { MachineJob } from './model';
import type { CaSignature } from './pki';

export type { CaSignature, JujuDbProfile };

/**
 * The sandbox's public contract, shared by the in-process orchestrator
 * (`startSandbox`) and the child-process client (`launchSandboxProcess`).
 * Everything here is plain data so it crosses Node's IPC channel unchanged.
 */

export interface StartSandboxOptions {
  /** QUORUM_HOME; the sandbox lives in `<home>/sandbox/`. */
  readonly home: string;
  /** Throw away the existing sandbox and build a new one. */
  readonly reset?: boolean;
  /** Grow juju-db towards this many MB of Juju documents (benchmarks). Applied when the sandbox is created. */
  readonly scale?: number;
  /**
   * Which MongoDB juju-db presents when the sandbox is created: `2.4` (the
   * default, what Juju 1.25 runs: legacy protocol, MONGODB-CR) or `6.0`
   * (OP_MSG, SCRAM). A sandbox keeps its profile across restarts; `reset`
   * may choose anew.
   */
  readonly mongo?: JujuDbProfile;
  /**
   * Digest the environment CA (and the certificates it issues) is signed
   * with when the sandbox is created: `sha256` (default) or `sha1`, as a
   * Juju built by an older Go makes them (clients must lower OpenSSL's
   * security level for that chain).
   */
  readonly caSignature?: CaSignature;
  /**
   * Shape of a newly created sandbox: state servers 1, 3, 5 or 7 (default 3)
   * and workload machines (default 2). Applied when the sandbox is created.
   */
  readonly machines?: { readonly stateServers?: number; readonly workloads?: number };
  /** The Juju workers the sandbox runs for its state servers (provisioner, peergroupers). */
  readonly agents?: SandboxAgentOptions;
  /** Progress lines for the CLI (never secrets). */
  readonly onLog?: (line: string) => void;
}

export interface SandboxAgentOptions {
  /** Run the provisioner and the peergroupers (default true). */
  readonly enabled?: boolean;
  /** Time a machine the provisioner starts takes from pending to started (default 3000 ms). */
  readonly provisionDelayMs?: number;
  /** How often the provisioner polls juju-db (default 400 ms). */
  readonly provisionerIntervalMs?: number;
  /** How often each peergrouper runs a pass (default 500 ms; Juju's is 1 min, the sandbox's is fast so transitions show within 2 s). */
  readonly peergrouperIntervalMs?: number;
}

export interface SandboxMachineDescription {
  readonly id: string;
  /** Cloud-local address Juju records (and the member host `<address>:37017`). */
  readonly address: string;
  readonly ssh: { readonly host: string; readonly port: number };
  readonly jobs: readonly MachineJob[];
  readonly stateServer: boolean;
  readonly powered: boolean;
  /** OpenSSH `SHA256:…` fingerprint of the machine's ed25519 host key. */
  readonly hostKeyFingerprint: string;
  readonly instanceId: string;
  /** juju-db member status on state servers, null elsewhere. */
  readonly jujuDb: 'running' | 'stopped' | null;
  /** False when fault injection made the member unhealthy. */
  readonly memberHealthy: boolean;
}

export interface SandboxDescription {
  readonly environment: {
    readonly name: string;
    readonly uuid: string;
    readonly series: string;
    readonly agentVersion: string;
    /** Environment CA (agent.conf `cacert`), PEM. */
    readonly caCertPem: string;
    /** Digest the environment CA is signed with (the sandbox always says; optional for descriptions made by hand). */
    readonly caSignature?: CaSignature;
  };
  /** What juju-db presents: the profile and the MongoDB version it reports (always set by the sandbox). */
  readonly jujuDb?: { readonly profile: JujuDbProfile; readonly version: string };
  readonly ssh: {
    readonly user: string;
    /** The environment key, like `~/.juju/ssh/juju_id_rsa` (0600). */
    readonly privateKeyPath: string;
    readonly publicKey: string;
  };
  /** `<home>/sandbox`. */
  readonly dir: string;
  /**
   * `<home>/sandbox/environments/sandbox.jenv` (0600): user `admin`, its API
   * password, the environment UUID, the state servers' API addresses
   * (`10.23.0.x:17070`; SSH to them goes through `machines[].ssh`) and the
   * CA, rewritten when the state servers change. Absent in descriptions
   * made by hand.
   */
  readonly jenvPath?: string;
  readonly machines: readonly SandboxMachineDescription[];
}

export interface AddMachineOptions {
  readonly jobs: readonly MachineJob[];
  /**
   * The machine id to take (a replacement instance, e.g. the new bootstrap
   * machine of a restore). An existing machine with that id must be powered
   * off: it is replaced (its tree, host key and juju-db data are thrown
   * away). Default: the next free id.
   */
  readonly id?: string;
  /**
   * Also record the machine in juju-db (`juju.machines`, `instanceData`,
   * status, and a Mongo user `machine-N` on state servers), as Juju does
   * before provisioning. Needs a primary. Default false: HA and restore
   * flows write Juju's documents themselves.
   */
  readonly register?: boolean;
}

/** `juju block <kind>` (the block types Juju 1.25 knows). */
export type SandboxBlockKind = 'destroy-environment' | 'remove-object' | 'all-changes';

/** What both the in-process sandbox and the child-process client offer (the client's methods are async). */
export interface SandboxControl {
  describe(): SandboxDescription | Promise<SandboxDescription>;
  powerOff(id: string): Promise<void>;
  powerOn(id: string): Promise<void>;
  setMemberHealthy(id: string, healthy: boolean): Promise<void>;
  /** New host key for a machine; returns its fingerprint. */
  rotateHostKey(id: string): Promise<string>;
  addMachine(options: AddMachineOptions): Promise<SandboxMachineDescription>;
  /**
   * `juju block <kind> [message]` (a string, possibly empty) or `juju
   * unblock <kind>` (null), written to `juju.blocks` through the primary as
   * Juju's Block facade writes it. Needs a primary.
   */
  setBlock(kind: SandboxBlockKind, message: string | null): Promise<void>;
  /**
   * Fault control (disk full): machine `id` (and any replacement started with
   * its id) reports at most `bytes` available to `df`, and an upload past
   * that fails with `No space left on device`; null lifts it.
   */
  setDiskFree?(id: string, bytes: number | null): Promise<void>;
  stop(): Promise<void>;
}

/** Timings of the last start, for reports and benchmarks. */
export interface SandboxStartInfo {
  readonly created: boolean;
  readonly totalMs: number;
  readonly phases: Readonly<Record<string, number>>;
}
