import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { syntheticTopology } from '../../shared/model/synthetic-topology';
import { formatStatus, statusDocument } from './status-format';

describe('quorum status formatting', () => {
  const topology = syntheticTopology({ machines: 6, stateServers: 3, down: ['2'] });
  const doc = statusDocument('prod', topology);

  it("lists only the state servers, with Juju's machine keys in Juju's order", () => {
    expect(Object.keys(doc.machines)).toEqual(['0', '1', '2']);
    const keys = Object.keys(doc.machines['0']!);
    const order = ['agent-state', 'agent-state-info', 'agent-version', 'dns-name', 'instance-id', 'instance-state', 'life', 'series', 'hardware', 'state-server-member-status'];
    expect(keys).toEqual(order.filter((k) => keys.includes(k)));
    expect(doc.machines['0']!['state-server-member-status']).toBe('has-vote');
  });

  it('adds the quorum line the console shows', () => {
    expect(doc.quorum).toMatchObject({ voting: 3, 'healthy-voters': 2, majority: 2, holds: true, 'survives-failures': 0 });
    expect(doc.quorum.summary).toBe(topology.quorum.sentence);
  });

  it('writes yaml (quoted machine ids, as juju status) and one-line json, both parseable', () => {
    const yaml = formatStatus(doc, 'yaml');
    expect(yaml.startsWith('environment: prod\nmachines:\n  "0":\n    agent-state: ')).toBe(true);
    expect(parse(yaml)).toEqual(JSON.parse(JSON.stringify(doc)));
    const json = formatStatus(doc, 'json');
    expect(json.trimEnd().includes('\n')).toBe(false);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});
