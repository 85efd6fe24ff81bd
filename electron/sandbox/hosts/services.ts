import type { ServiceName } from '../../../shared/remote-commands';

/**
 * The upstart jobs of one sandbox machine: `juju-db` on state servers (backed
 * by the cluster's member) and the `jujud-machine-N` / `jujud-unit-…` agents
 * (tracked state only; nothing runs). Answers with upstart's wording and exit
 * codes, because that is what a trusty host running Juju 1.25 prints.
 */

export interface ServiceResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How the machine's `juju-db` job reaches the replica set member. */
export interface JujuDbControl {
  isRunning(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Job {
  running: boolean;
  pid: number;
}

let nextPid = 1000 + Math.floor(Math.random() * 20_000);
function newPid(): number {
  nextPid += 1 + Math.floor(Math.random() * 40);
  if (nextPid > 32_000) nextPid = 1000;
  return nextPid;
}

export class MachineServices {
  readonly #agents = new Map<string, Job>();
  #jujuDbPid = newPid();
  /** Set while an offline tool (mongorestore --dbpath) holds juju-db's data files: mongod cannot start. */
  #dbPathHolder: string | null = null;

  /**
   * @param agents agent job names on this machine (`jujud-machine-N`, `jujud-unit-mysql-0`), all started at boot.
   * @param jujuDb present only on state servers.
   */
  constructor(
    agents: readonly string[],
    private readonly jujuDb: JujuDbControl | undefined,
  ) {
    for (const a of agents) this.#agents.set(a, { running: true, pid: newPid() });
  }

  /** A newly deployed unit agent (e.g. by a later flow) becomes a known job. */
  addAgent(name: string, running = true): void {
    if (!this.#agents.has(name)) this.#agents.set(name, { running, pid: newPid() });
  }

  /** Machine boot: every agent job starts again (upstart `start on runlevel [2345]`). */
  boot(): void {
    for (const job of this.#agents.values()) {
      job.running = true;
      job.pid = newPid();
    }
  }

  known(): string[] {
    return [...(this.jujuDb ? ['juju-db'] : []), ...this.#agents.keys()];
  }

  /** True on state servers (the machine has a juju-db job and the MongoDB tools). */
  get hasJujuDb(): boolean {
    return this.jujuDb !== undefined;
  }

  /**
   * Take juju-db's data files for an offline tool, as its `mongod.lock`
   * would: refused while juju-db runs or another tool holds them; while held,
   * `start juju-db` fails. Returns the release function.
   */
  lockDbPath(holder: string): (() => void) | null {
    if (this.#dbPathHolder !== null || this.isRunning('juju-db')) return null;
    this.#dbPathHolder = holder;
    return () => {
      if (this.#dbPathHolder === holder) this.#dbPathHolder = null;
    };
  }

  isRunning(name: string): boolean {
    if (name === 'juju-db') return this.jujuDb?.isRunning() ?? false;
    return this.#agents.get(name)?.running ?? false;
  }

  async run(name: ServiceName, action: 'start' | 'stop' | 'status'): Promise<ServiceResult> {
    if (name === 'juju-db' && this.jujuDb) return this.#runJujuDb(this.jujuDb, action);
    const job = name === 'juju-db' ? undefined : this.#agents.get(name);
    if (!job) return { exitCode: 1, stdout: '', stderr: `${name}: unrecognized service\n` };
    return this.#transition(name, action, job.running, job.pid, async (running) => {
      job.running = running;
      if (running) job.pid = newPid();
      return job.pid;
    });
  }

  async #runJujuDb(db: JujuDbControl, action: 'start' | 'stop' | 'status'): Promise<ServiceResult> {
    return this.#transition('juju-db', action, db.isRunning(), this.#jujuDbPid, async (running) => {
      if (running) {
        if (this.#dbPathHolder !== null) throw new Error(`data files locked by ${this.#dbPathHolder}`);
        await db.start();
        this.#jujuDbPid = newPid();
      } else {
        await db.stop();
      }
      return this.#jujuDbPid;
    });
  }

  async #transition(
    name: string,
    action: 'start' | 'stop' | 'status',
    running: boolean,
    pid: number,
    apply: (running: boolean) => Promise<number>,
  ): Promise<ServiceResult> {
    switch (action) {
      case 'status':
        return { exitCode: 0, stdout: running ? `${name} start/running, process ${pid}\n` : `${name} stop/waiting\n`, stderr: '' };
      case 'start':
        if (running) return { exitCode: 1, stdout: '', stderr: `start: Job is already running: ${name}\n` };
        try {
          const newPid = await apply(true);
          return { exitCode: 0, stdout: `${name} start/running, process ${newPid}\n`, stderr: '' };
        } catch (err) {
          return { exitCode: 1, stdout: '', stderr: `start: Job failed to start: ${name} (${(err as Error).message})\n` };
        }
      case 'stop':
        if (!running) return { exitCode: 1, stdout: '', stderr: `stop: Unknown instance: \n` };
        await apply(false);
        return { exitCode: 0, stdout: `${name} stop/waiting\n`, stderr: '' };
    }
  }
}
