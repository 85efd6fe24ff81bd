import { AgentPinger, type AgentPingerOptions, type PresenceWrites } from './agent-pinger';

/**
 * Runs the presence pingers of every agent in the sandbox: an agent pings
 * while its machine is powered on and its `jujud-*` job runs, and stops when
 * the machine is powered off or the job is stopped (over SSH with
 * `service … stop`, or by a restore). State is reconciled every second and
 * at once after a power change, so nothing has to notify it.
 */

export interface PresenceAgent {
  /** Upstart job, e.g. `jujud-machine-3` or `jujud-unit-mysql-0`. */
  readonly service: string;
  /** Presence key, e.g. `m#3` or `u#mysql/0`. */
  readonly key: string;
}

/** What the supervisor needs to know of a machine. */
export interface PresenceMachine {
  readonly powered: boolean;
  readonly agents: readonly PresenceAgent[];
  isRunning(service: string): boolean;
}

export interface SandboxPresenceOptions extends AgentPingerOptions {
  /** How often agent states are reconciled (default 1000 ms). */
  readonly reconcileMs?: number;
  /** `start` waits at most this long for the agents' first pings (default 5000 ms). */
  readonly startWaitMs?: number;
}

export class SandboxPresence {
  readonly #pingers = new Map<string, AgentPinger>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly machines: () => Iterable<PresenceMachine>,
    private readonly writes: PresenceWrites & { close(): Promise<void> },
    private readonly options: SandboxPresenceOptions = {},
  ) {}

  /**
   * Starts the agents that should run and waits for their first pings (at
   * most `startWaitMs`: a sandbox restarted without a majority has no
   * primary to write to), so a console opening now sees them alive.
   */
  async start(): Promise<void> {
    const first = this.reconcile();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(first), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.startWaitMs ?? 5_000)))]);
    clearTimeout(timer);
    if (this.#stopped) return;
    this.#timer = setInterval(() => this.reconcile(), this.options.reconcileMs ?? 1_000);
    this.#timer.unref();
  }

  /** Starts and stops pingers to match the machines; returns the first pings of those it started. */
  reconcile(): Promise<void>[] {
    if (this.#stopped) return [];
    const started: Promise<void>[] = [];
    for (const machine of this.machines()) {
      for (const agent of machine.agents) {
        const shouldRun = machine.powered && machine.isRunning(agent.service);
        let pinger = this.#pingers.get(agent.key);
        if (!pinger) {
          pinger = new AgentPinger(agent.key, this.writes, this.options);
          this.#pingers.set(agent.key, pinger);
        }
        if (shouldRun && !pinger.running) started.push(pinger.start());
        else if (!shouldRun && pinger.running) pinger.stop();
      }
    }
    return started;
  }

  /** Keys of the agents pinging now (for tests and `describe`). */
  pinging(): string[] {
    return [...this.#pingers.values()].filter((p) => p.running).map((p) => p.key);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const pinger of this.#pingers.values()) pinger.stop();
    await this.writes.close();
  }
}
