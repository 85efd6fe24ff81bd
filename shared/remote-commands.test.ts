import { describe, expect, it } from 'vitest';
import {
  parseDfAvailable,
  parseRemoteCommand,
  parseServiceRunning,
  renderRemoteCommand,
  type RemoteCommand,
} from './remote-commands';

const samples: RemoteCommand[] = [
  { kind: 'read-file', path: '/var/lib/juju/agents/machine-0/agent.conf' },
  { kind: 'write-file', path: '/var/lib/juju/agents/machine-3/agent.conf', mode: 0o600 },
  { kind: 'tar-out', paths: ['/var/lib/juju/tools', '/var/lib/juju/server.pem', '/home/ubuntu/.ssh/authorized_keys'] },
  { kind: 'tar-in' },
  { kind: 'service', service: 'juju-db', action: 'stop' },
  { kind: 'service', service: 'jujud-machine-12', action: 'status' },
  { kind: 'glob', pattern: '/var/lib/juju/agents/machine-*' },
  { kind: 'glob', pattern: '/etc/rsyslog.d/*juju.conf' },
  { kind: 'free-space', path: '/var/lib/juju' },
];

describe('remote command set', () => {
  it.each(samples)('round-trips $kind', (cmd) => {
    expect(parseRemoteCommand(renderRemoteCommand(cmd))).toEqual(cmd);
  });

  it('refuses anything outside the set', () => {
    for (const line of [
      'rm -rf /',
      'sudo -n cat -- /etc/shadow; rm -rf /',
      'sudo -n cat /etc/passwd',
      "sudo -n cat -- '/a' '/b'",
      'sudo -n service juju-db restart',
      'sudo -n service sshd stop',
      'sudo -n tar -C / -xpf - --to-command=sh',
      'sudo -n tar -C /tmp -xpf -',
      'df -h /',
      '',
    ]) {
      expect(parseRemoteCommand(line), line).toBeNull();
    }
  });

  it('refuses paths that climb out or carry shell syntax', () => {
    expect(() => renderRemoteCommand({ kind: 'read-file', path: '/var/lib/../../etc/shadow' })).toThrow(RangeError);
    expect(() => renderRemoteCommand({ kind: 'read-file', path: 'relative/path' })).toThrow(RangeError);
    expect(() => renderRemoteCommand({ kind: 'read-file', path: "/tmp/a'; rm -rf /'" })).toThrow(RangeError);
    expect(() => renderRemoteCommand({ kind: 'glob', pattern: '/tmp/$(reboot)' })).toThrow(RangeError);
    expect(parseRemoteCommand("sudo -n cat -- '/var/lib/../../etc/shadow'")).toBeNull();
  });

  it('parses df and service status output', () => {
    const df = 'Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/vda 269490393088 23622320128 85899345920 22% /\n';
    expect(parseDfAvailable(df)).toBe(85899345920);
    expect(() => parseDfAvailable('garbage')).toThrow();
    expect(parseServiceRunning('juju-db start/running, process 1234')).toBe(true);
    expect(parseServiceRunning('juju-db stop/waiting')).toBe(false);
    expect(parseServiceRunning('   Active: active (running) since Mon')).toBe(true);
  });
});
