import { describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { StateServerSession } from '../connection/state-server-session';
import { connectedStateServers, readFromFirstAnswering, type SessionSource } from './any-state-server';

type State = 'connecting' | 'connected' | 'unreachable' | 'error';

interface FakeSession {
  address: string;
  state: State;
  error: QuorumError | null;
  whenConnected(): Promise<FakeSession>;
}

/** Sessions as the connection layer keeps them; `opens` settles a `connecting` one. */
function env(specs: Array<{ address: string; state: State; error?: QuorumError; opens?: Promise<void> }>): SessionSource & { calls: string[] } {
  const calls: string[] = [];
  const sessions: FakeSession[] = specs.map((spec) => {
    const session: FakeSession = {
      address: spec.address,
      state: spec.state,
      error: spec.error ?? null,
      async whenConnected() {
        calls.push(`whenConnected ${spec.address}`);
        if (session.state === 'connected') return session;
        if (session.state === 'connecting' && spec.opens) {
          try {
            await spec.opens;
            session.state = 'connected';
            return session;
          } catch (error) {
            session.state = 'unreachable';
            session.error = error as QuorumError;
          }
        }
        throw session.error;
      },
    };
    return session;
  });
  const cast = (list: FakeSession[]) => list as unknown as StateServerSession[];
  return {
    calls,
    // Sessions are kept in creation order, which may differ from the target's.
    sessions: () => cast([...sessions].reverse()),
    connectedSessions: () => cast(sessions.filter((s) => s.state === 'connected').reverse()),
    target: { name: 'prod', stateServers: specs.map((s) => ({ address: s.address })) },
  };
}

const unreachable = (address: string) => new QuorumError('host-unreachable', `Port 22 on ${address} is closed.`);
const down = (address: string) => new QuorumError('mongo-unavailable', `juju-db's port is closed on ${address}.`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('connected state servers for an interactive read', () => {
  it('lists the connected ones in the target order', async () => {
    const e = env([
      { address: '10.0.0.1', state: 'connected' },
      { address: '10.0.0.2', state: 'unreachable', error: unreachable('10.0.0.2') },
      { address: '10.0.0.3', state: 'connected' },
    ]);
    expect((await connectedStateServers(e)).map((s) => s.address)).toEqual(['10.0.0.1', '10.0.0.3']);
  });

  it('fails at once with the first state server’s error when none is connected or opening (no wait for the background retry)', async () => {
    const e = env([
      { address: '10.0.0.1', state: 'unreachable', error: unreachable('10.0.0.1') },
      { address: '10.0.0.2', state: 'error', error: unreachable('10.0.0.2') },
    ]);
    await expect(connectedStateServers(e)).rejects.toThrow('Port 22 on 10.0.0.1 is closed.');
    expect(e.calls).toEqual([]);
  });

  it('waits while a state server is still opening for the first time, then uses it', async () => {
    const e = env([
      { address: '10.0.0.1', state: 'connecting', opens: sleep(30) },
      { address: '10.0.0.2', state: 'unreachable', error: unreachable('10.0.0.2') },
    ]);
    expect((await connectedStateServers(e)).map((s) => s.address)).toEqual(['10.0.0.1']);
  });

  it('reports the opening one’s error when its first attempt fails', async () => {
    const e = env([{ address: '10.0.0.1', state: 'connecting', opens: sleep(10).then(() => Promise.reject(unreachable('10.0.0.1'))) }]);
    await expect(connectedStateServers(e)).rejects.toThrow('Port 22 on 10.0.0.1 is closed.');
  });

  it('says no state server can be reached when the environment lists none', async () => {
    await expect(connectedStateServers(env([]))).rejects.toThrow('No state server of prod can be reached');
  });
});

describe('first answering state server', () => {
  const e = () =>
    env([
      { address: '10.0.0.1', state: 'connected' },
      { address: '10.0.0.2', state: 'connected' },
      { address: '10.0.0.3', state: 'connected' },
    ]);

  it('asks every state server at once and takes the first answer, however slow machine 0 is', async () => {
    const asked: string[] = [];
    const started = performance.now();
    const answer = await readFromFirstAnswering(e(), async (s) => {
      asked.push(s.address);
      if (s.address === '10.0.0.1') await sleep(5_000);
      if (s.address === '10.0.0.2') throw down('10.0.0.2');
      return s.address;
    });
    expect(answer).toBe('10.0.0.3');
    expect(asked).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('asks each one once and rejects with machine 0’s error when every one fails', async () => {
    const asked: string[] = [];
    await expect(
      readFromFirstAnswering(e(), async (s) => {
        asked.push(s.address);
        await sleep(s.address === '10.0.0.1' ? 20 : 1);
        throw down(s.address);
      }),
    ).rejects.toThrow("juju-db's port is closed on 10.0.0.1.");
    expect(asked).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  it('wraps a failure that is not an operator-facing error', async () => {
    await expect(readFromFirstAnswering(env([{ address: '10.0.0.1', state: 'connected' }]), async () => Promise.reject(new Error('boom')))).rejects.toMatchObject({
      code: 'mongo-unavailable',
    });
  });
});
