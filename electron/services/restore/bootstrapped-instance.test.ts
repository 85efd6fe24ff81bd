import { describe, expect, it } from 'vitest';
import type { StateServerSession } from '../connection/state-server-session';
import { bootstrappedInstanceId } from './restore-run';

/** A session whose juju-db answers `find` with `docs`, or fails with `error`. */
function session(answer: { docs?: object[]; error?: Error }): StateServerSession {
  return {
    address: '192.0.2.7',
    withMongo: async (fn: (c: unknown) => Promise<unknown>) => {
      if (answer.error) throw answer.error;
      return fn({
        find: (ns: { db: string; collection: string }, filter: object) => ({
          toArray: async () => (ns.db === 'juju' && ns.collection === 'instanceData' && JSON.stringify(filter) === '{"machineid":"0"}' ? (answer.docs ?? []) : []),
        }),
      });
    },
  } as unknown as StateServerSession;
}

describe("the instance a host the operator bootstrapped runs on, from its own juju-db", () => {
  it('reads machine 0 in instanceData', async () => {
    expect(await bootstrappedInstanceId(session({ docs: [{ machineid: '0', instanceid: 'i-0f3a9c' }] }))).toEqual({ instanceId: 'i-0f3a9c', why: '' });
  });

  it('says why when there is none or juju-db refuses', async () => {
    expect(await bootstrappedInstanceId(session({ docs: [] }))).toEqual({ instanceId: null, why: 'no instanceData for machine 0' });
    expect((await bootstrappedInstanceId(session({ error: new Error('authentication refused') }))).instanceId).toBeNull();
  });
});
