import { describe, expect, it } from 'vitest';
import type { MachineState } from './juju-state';
import { planProvisioning, type ProvisionerView } from './provisioner-plan';

function machine(id: string, over: Partial<MachineState> = {}): MachineState {
  return {
    id,
    series: 'trusty',
    life: 'alive',
    jobs: ['JobHostUnits', 'JobManageEnviron'],
    noVote: false,
    hasVote: false,
    address: null,
    addresses: [],
    agentVersion: null,
    principals: [],
    cloudLocalAddress: null,
    ...over,
  };
}

function view(machines: MachineState[], over: Partial<ProvisionerView> = {}): ProvisionerView {
  return { machines, provisioned: new Set(), sandboxMachines: new Set(), pending: new Set(), agentRunning: new Set(), withUnits: new Set(), busy: new Set(), ...over };
}

describe('provisioner decisions', () => {
  it('starts alive machines with no instance and no sandbox machine, with their jobs, in id order', () => {
    const plan = planProvisioning(view([machine('4'), machine('3'), machine('0'), machine('5', { jobs: ['JobHostUnits'] })], { provisioned: new Set(['0']), sandboxMachines: new Set(['0']) }));
    expect(plan.provision).toEqual([
      { id: '3', jobs: ['JobHostUnits', 'JobManageEnviron'], resume: false },
      { id: '4', jobs: ['JobHostUnits', 'JobManageEnviron'], resume: false },
      { id: '5', jobs: ['JobHostUnits'], resume: false },
    ]);
    expect(plan.remove).toEqual([]);
  });

  it('leaves provisioned, busy, container and unknown-job machines alone; resumes its own unfinished starts only', () => {
    const plan = planProvisioning(
      view([machine('1'), machine('2'), machine('3'), machine('0/lxc/0'), machine('6', { jobs: ['JobManageNetworking'] }), machine('7'), machine('8')], {
        provisioned: new Set(['1']),
        busy: new Set(['2']),
        sandboxMachines: new Set(['7', '8']),
        pending: new Set(['8']),
      }),
    );
    expect(plan.provision).toEqual([
      { id: '3', jobs: ['JobHostUnits', 'JobManageEnviron'], resume: false },
      { id: '8', jobs: ['JobHostUnits', 'JobManageEnviron'], resume: true },
    ]);
  });

  it('removes dying machines whose agent runs once no unit is on them, and dead ones always', () => {
    const plan = planProvisioning(
      view([
        machine('1', { life: 'dying' }),
        machine('2', { life: 'dying', principals: ['mysql/0'] }),
        machine('3', { life: 'dying' }),
        machine('4', { life: 'dead', principals: ['wordpress/0'] }),
        machine('5', { life: 'dying' }),
        machine('6', { life: 'dying' }),
        machine('7', { life: 'dead' }),
      ], {
        withUnits: new Set(['3']),
        busy: new Set(['5']),
        provisioned: new Set(['1', '2', '3', '4', '5', '6', '7']),
        sandboxMachines: new Set(['1', '2', '3', '4', '5', '6', '7']),
        agentRunning: new Set(['1', '2', '3', '4', '5']),
      }),
    );
    // 6 is down: it stays dying (its machiner cannot run); 7 is dead (--force): removed though down.
    expect(plan.remove).toEqual([
      { id: '1', ensureDead: true },
      { id: '4', ensureDead: false },
      { id: '7', ensureDead: false },
    ]);
    expect(plan.provision).toEqual([]);
  });
});
