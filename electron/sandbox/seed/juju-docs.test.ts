import { describe, expect, it } from 'vitest';
import { newEnvironmentRecord } from '../environment';
import { jujuSeed } from './juju-docs';
import { scaleBatches, scaleServiceCount } from './scale';

describe('Juju 1.25 seed documents', () => {
  const env = newEnvironmentRecord(0);
  const batches = jujuSeed(env, 'CA', 'ssh-rsa AAAA juju-client-key\n');
  const docs = (c: string) => batches.find((b) => b.collection === c)!.docs;

  it('describes the machines the hosts are built from', () => {
    const machines = docs('machines');
    expect(machines.map((m) => m._id)).toEqual(env.machines.map((m) => `${env.uuid}:${m.id}`));
    const m0 = machines[0]!;
    expect(m0).toMatchObject({ machineid: '0', 'env-uuid': env.uuid, jobs: [2, 1], novote: false, hasvote: true, life: 0, series: 'trusty', nonce: 'user-admin:bootstrap' });
    expect(m0.addresses).toEqual([{ value: '10.23.0.10', addresstype: 'ipv4', networkscope: 'local-cloud', origin: 'provider' }]);
    const m3 = machines[3]!;
    expect(m3).toMatchObject({ machineid: '3', jobs: [1], novote: true, hasvote: false, nonce: env.machines[3]!.nonce });
    expect(m3.principals).toEqual(env.services.flatMap((s) => s.units.filter((u) => u.machineId === '3').map((u) => u.name)));
  });

  it('has stateServers e with the voting state servers', () => {
    expect(docs('stateServers')).toEqual([expect.objectContaining({ _id: 'e', machineids: ['0', '1', '2'], votingmachineids: ['0', '1', '2'] })]);
  });

  it('has hardware for every machine, services, units and settings', () => {
    expect(docs('instanceData')[0]).toMatchObject({ arch: 'amd64', mem: 1024, rootdisk: 20480, cpucores: 1 });
    expect(docs('services').map((s) => s.name)).toEqual(['mysql', 'wordpress']);
    expect(docs('units').map((u) => u.name)).toEqual(['mysql/0', 'wordpress/0', 'wordpress/1']);
    expect(docs('settings').map((s) => s._id)).toContain(`${env.uuid}:e`);
    expect(docs('environments')[0]).toMatchObject({ _id: env.uuid, name: 'sandbox' });
    expect(batches.some((b) => b.db === 'presence')).toBe(true);
    // No agent password is stored in clear.
    const text = JSON.stringify(batches);
    for (const m of env.machines) expect(text).not.toContain(m.statePassword);
  });

  it('produces scale filler lazily up to the target', () => {
    let bytes = 0;
    let services = 0;
    for (const b of scaleBatches(env, 8, 1024 * 1024)) {
      bytes += b.bytes;
      if (b.collection === 'services') services += b.docs.length;
    }
    expect(bytes).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(services).toBe(scaleServiceCount(env, 8));
    expect(services).toBeGreaterThan(100);
  });
});
