import { QuorumError, type ErrorCode } from '../../../shared/errors';

/**
 * Asks state servers one at a time, in order, but does not wait for a slow
 * one: when the current candidate has not answered within `hedgeMs` (or has
 * failed), the next one is asked too, and the first answer wins. In the
 * normal case that is exactly one status query per round; when the machine
 * Quorum was reading from has just been powered off, the round still ends
 * within about `hedgeMs` rather than after a connection timeout.
 */
export interface FirstAnswerOptions {
  readonly hedgeMs: number;
  /** The whole round gives up after this long. */
  readonly timeoutMs: number;
}

export interface Answer<T> {
  readonly candidate: string;
  readonly value: T;
}

/** Rejects with the most actionable of the candidates' errors when none answers. */
export function firstAnswer<T>(
  candidates: readonly string[],
  ask: (candidate: string) => Promise<T>,
  options: FirstAnswerOptions,
): Promise<Answer<T>> {
  if (candidates.length === 0) {
    return Promise.reject(
      new QuorumError('mongo-unavailable', 'This environment lists no state servers to read its topology from. Check its state-server addresses.'),
    );
  }
  return new Promise((resolve, reject) => {
    const errors: unknown[] = [];
    let next = 0;
    let pending = 0;
    let settled = false;
    let hedgeTimer: NodeJS.Timeout | undefined;
    const overall = setTimeout(() => {
      finish(() =>
        reject(
          new QuorumError(
            'timeout',
            `No state server answered the status query within ${Math.round(options.timeoutMs / 1000)} s (tried ${candidates.slice(0, next).join(', ')}). Quorum keeps trying; check that the state servers are running.`,
          ),
        ),
      );
    }, options.timeoutMs);

    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      clearTimeout(hedgeTimer);
      settle();
    };

    const launch = () => {
      clearTimeout(hedgeTimer);
      if (settled || next >= candidates.length) return;
      const candidate = candidates[next++] as string;
      pending++;
      ask(candidate).then(
        (value) => finish(() => resolve({ candidate, value })),
        (error: unknown) => {
          pending--;
          errors.push(error);
          if (next < candidates.length) launch();
          else if (pending === 0) finish(() => reject(mostActionable(errors)));
        },
      );
      if (next < candidates.length) hedgeTimer = setTimeout(launch, options.hedgeMs);
    };
    launch();
  });
}

/**
 * The error to show when every state server failed: one the operator can
 * act on (a host key to trust, a changed key, credentials) beats a plain
 * "unreachable", which is what a powered-off machine gives anyway.
 */
const PRIORITY: readonly ErrorCode[] = [
  'host-key-changed',
  'host-key-unknown',
  'passphrase-required',
  'ssh-auth-failed',
  'agent-conf-unreadable',
  'mongo-auth-failed',
  'mongo-unsupported',
  'tls-failed',
  'remote-command-failed',
  'mongo-unavailable',
  'host-unreachable',
  'timeout',
];

export function mostActionable(errors: readonly unknown[]): unknown {
  const rank = (error: unknown) => {
    if (!(error instanceof QuorumError)) return PRIORITY.length + 1;
    const i = PRIORITY.indexOf(error.code);
    return i === -1 ? PRIORITY.length : i;
  };
  return [...errors].sort((a, b) => rank(a) - rank(b))[0];
}
