import { PRESENCE_PING_INTERVAL_MS, timeSlot } from '../../../shared/model/presence';

/**
 * One agent's pinger, as `presence.Pinger` runs it: `start` takes a new
 * sequence (and being), pings at once, then every `(period + 1) * 0.75` s,
 * never twice in the same slot; `stop` just stops pinging, so watchers see
 * the agent go once its last slot is older than the previous one (30–60 s),
 * exactly as when a real agent's connection goes away.
 *
 * Unlike Juju's pinger, which dies on a failed write and waits for its
 * agent to restart it, this one retries every second: the sandbox's
 * agents must ride out elections and quorum loss on their own.
 */

export interface PresenceWrites {
  allocate(key: string): Promise<number>;
  ping(seq: number, slot: number): Promise<void>;
}

export interface AgentPingerOptions {
  readonly retryMs?: number;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

const RETRY_MS = 1_000;

export class AgentPinger {
  #running = false;
  #generation = 0;
  #seq: number | null = null;
  #lastSlot = 0;
  #timer: NodeJS.Timeout | undefined;
  #firstPing: Promise<void> = Promise.resolve();
  #pinged: () => void = () => undefined;
  readonly #retryMs: number;
  readonly #intervalMs: number;
  readonly #now: () => number;

  constructor(
    readonly key: string,
    private readonly writes: PresenceWrites,
    options: AgentPingerOptions = {},
  ) {
    this.#retryMs = options.retryMs ?? RETRY_MS;
    this.#intervalMs = options.intervalMs ?? PRESENCE_PING_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  get running(): boolean {
    return this.#running;
  }

  /** The sequence in use, once allocated (null before the first successful prepare). */
  get seq(): number | null {
    return this.#seq;
  }

  /**
   * Starts pinging with a new sequence. Resolves once the first ping is
   * written (it keeps retrying while there is no primary; a `stop` before
   * that leaves the promise pending).
   */
  start(): Promise<void> {
    if (this.#running) return this.#firstPing;
    this.#running = true;
    this.#seq = null;
    this.#lastSlot = 0;
    this.#firstPing = new Promise<void>((resolve) => (this.#pinged = resolve));
    void this.#tick(++this.#generation);
    return this.#firstPing;
  }

  /** Stops pinging (Juju's `Stop`, not `Kill`: nothing is written). */
  stop(): void {
    this.#running = false;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #tick(generation: number): Promise<void> {
    let ok = false;
    try {
      if (this.#seq === null) {
        const seq = await this.writes.allocate(this.key);
        if (generation !== this.#generation) return;
        this.#seq = seq;
      }
      const slot = timeSlot(this.#now());
      if (slot !== this.#lastSlot) {
        await this.writes.ping(this.#seq, slot);
        this.#lastSlot = slot;
      }
      ok = true;
      this.#pinged();
    } catch {
      // No primary right now (election, quorum lost, member powered off): try again shortly.
    }
    if (generation === this.#generation) {
      this.#timer = setTimeout(() => void this.#tick(generation), ok ? this.#intervalMs : this.#retryMs);
      this.#timer.unref();
    }
  }
}
