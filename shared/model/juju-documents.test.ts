import { describe, expect, it } from 'vitest';
import { compareMachineIds, formatHardware, parseInstanceDoc, parseJob, parseLife, parseMachineDoc, parseStateServersDoc, parseStatusDoc } from './juju-documents';

const UUID = '5b1e4d0c-8f7a-4c0e-9a43-1f1c6d2e3a10';

describe('parseMachineDoc (state/machine.go machineDoc)', () => {
  it('reads a 1.25 state-server machine document', () => {
    const m = parseMachineDoc({
      _id: `${UUID}:0`,
      machineid: '0',
      'env-uuid': UUID,
      series: 'trusty',
      life: 0,
      jobs: [1, 2],
      novote: false,
      hasvote: true,
      tools: { version: '1.25.6-trusty-amd64', url: '', size: 0 },
      addresses: [
        { value: '10.23.0.10', addresstype: 'ipv4', networkscope: 'local-cloud' },
        { value: '127.0.0.1', addresstype: 'ipv4', networkscope: 'local-machine' },
      ],
    });
    expect(m).toEqual({
      id: '0',
      series: 'trusty',
      life: 'alive',
      jobs: ['JobHostUnits', 'JobManageEnviron'],
      noVote: false,
      hasVote: true,
      address: '10.23.0.10',
      addresses: ['10.23.0.10', '127.0.0.1'],
      agentVersion: '1.25.6',
    });
  });

  it('prefers a public address, and the preferred public address over all', () => {
    const addresses = [
      { value: '10.0.0.5', networkscope: 'local-cloud' },
      { value: '54.1.2.3', networkscope: 'public' },
    ];
    expect(parseMachineDoc({ machineid: '3', addresses })?.address).toBe('54.1.2.3');
    expect(parseMachineDoc({ machineid: '3', addresses, preferredpublicaddress: { value: '54.9.9.9' } })?.address).toBe('54.9.9.9');
  });

  it('takes the id from _id when machineid is missing (pre-1.22 documents)', () => {
    expect(parseMachineDoc({ _id: '4', jobs: ['JobHostUnits'] })?.id).toBe('4');
    expect(parseMachineDoc({ _id: `${UUID}:0/lxc/1` })?.id).toBe('0/lxc/1');
    expect(parseMachineDoc({ series: 'trusty' })).toBeNull();
    expect(parseMachineDoc('nope')).toBeNull();
  });

  it('parses jobs by code or name and ignores unknown ones', () => {
    expect(parseJob(2)).toBe('JobManageEnviron');
    expect(parseJob({ toNumber: () => 1 })).toBe('JobHostUnits');
    expect(parseJob('JobManageEnviron')).toBe('JobManageEnviron');
    expect(parseJob(9)).toBeNull();
    expect(parseJob('JobFly')).toBeNull();
  });

  it('parses life', () => {
    expect(parseLife(0)).toBe('alive');
    expect(parseLife(1)).toBe('dying');
    expect(parseLife(2)).toBe('dead');
    expect(parseLife(undefined)).toBe('alive');
  });
});

describe('instanceData, statuses and stateServers', () => {
  it('formats hardware as Juju does', () => {
    expect(formatHardware({ arch: 'amd64', cpucores: 1, mem: 1024, rootdisk: 20480 })).toBe('arch=amd64 cpu-cores=1 mem=1024M root-disk=20480M');
    expect(formatHardware({ arch: 'amd64', cpucores: 4, cpupower: 400, mem: 8192, rootdisk: 8192, tags: ['a', 'b'], availzone: 'us-east-1a' })).toBe(
      'arch=amd64 cpu-cores=4 cpu-power=400 mem=8192M root-disk=8192M tags=a,b availability-zone=us-east-1a',
    );
    expect(formatHardware({})).toBeNull();
  });

  it('reads an instanceData document', () => {
    expect(parseInstanceDoc({ _id: `${UUID}:1`, machineid: '1', instanceid: 'i-1', status: 'ACTIVE', arch: 'amd64', mem: { toNumber: () => 2048 } })).toEqual({
      machineId: '1',
      instanceId: 'i-1',
      status: 'ACTIVE',
      hardware: 'arch=amd64 mem=2048M',
    });
    expect(parseInstanceDoc({ machineid: '1' })).toBeNull();
  });

  it('reads machine statuses and ignores unit and service ones', () => {
    expect(parseStatusDoc({ _id: `${UUID}:m#2`, status: 'started', statusinfo: '' })).toEqual({ machineId: '2', status: 'started', info: null });
    expect(parseStatusDoc({ _id: `${UUID}:m#0/lxc/0`, status: 'pending', statusinfo: 'waiting' })).toEqual({ machineId: '0/lxc/0', status: 'pending', info: 'waiting' });
    expect(parseStatusDoc({ _id: 'm#4', status: 'error' })?.machineId).toBe('4');
    expect(parseStatusDoc({ _id: `${UUID}:u#mysql/0`, status: 'active' })).toBeNull();
    expect(parseStatusDoc({ _id: `${UUID}:m#4#charm`, status: 'active' })).toBeNull();
  });

  it('reads the stateServers document', () => {
    expect(parseStateServersDoc({ _id: 'e', machineids: ['0', '1', '2'], votingmachineids: ['0', '1'] })).toEqual({
      machineIds: ['0', '1', '2'],
      votingMachineIds: ['0', '1'],
    });
    expect(parseStateServersDoc(null)).toEqual({ machineIds: [], votingMachineIds: [] });
  });
});

describe('compareMachineIds', () => {
  it('sorts numerically with containers after their host', () => {
    expect(['10', '2', '0/lxc/1', '1', '0', '0/lxc/0', '0/kvm/0'].sort(compareMachineIds)).toEqual(['0', '0/kvm/0', '0/lxc/0', '0/lxc/1', '1', '2', '10']);
  });
});
