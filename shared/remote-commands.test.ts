import { describe, expect, it } from 'vitest';
import {
  mongorestoreOplogReplay,
  parseDiskUsage,
  parseRestoreProbe,
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
  { kind: 'upload-file', path: '/var/tmp/quorum-restore/juju-backup.tar.gz', mode: 0o600, size: 123456789 },
  { kind: 'upload-file', path: '/home/ubuntu/b.tgz', mode: 0o640, size: 0, sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
  { kind: 'make-dir', path: '/var/tmp/quorum-restore', mode: 0o700 },
  { kind: 'remove-staging', path: '/var/tmp/quorum-restore' },
  {
    kind: 'recreate-dirs',
    dirs: [
      { path: '/var/lib/juju', mode: 0o755, owner: 'root:root' },
      { path: '/var/lib/juju/db', mode: 0o700, owner: 'root' },
      { path: '/var/log/juju', mode: 0o755, owner: 'syslog:adm' },
    ],
  },
  { kind: 'extract-tar', archive: '/var/tmp/quorum-restore/juju-backup/root.tar', dir: '/', gzip: false },
  { kind: 'extract-tar', archive: '/var/tmp/quorum-restore/juju-backup.tar.gz', dir: '/var/tmp/quorum-restore', gzip: true },
  { kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: '/var/tmp/quorum-restore/juju-backup/dump', oplogReplay: true },
  { kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: '/var/tmp/quorum-restore/juju-backup/dump', oplogReplay: false },
  { kind: 'disk-usage', path: '/var/lib/juju' },
  { kind: 'restore-probe', dataDir: '/var/lib/juju' },
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

  it('renders the restore commands as Juju runs them', () => {
    expect(renderRemoteCommand({ kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: '/tmp/d/dump', oplogReplay: true })).toBe(
      `sudo -n sh -c 'm=/usr/lib/juju/bin/mongorestore; [ -x "$m" ] || m=mongorestore; exec "$m" "$@"' quorum-mongorestore --drop --journal --oplogReplay --dbpath '/var/lib/juju/db' '/tmp/d/dump'`,
    );
    expect(renderRemoteCommand({ kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: '/tmp/d/dump', oplogReplay: false })).toMatch(
      / quorum-mongorestore --drop --journal --dbpath '\/var\/lib\/juju\/db' '\/tmp\/d\/dump'$/,
    );
    expect(renderRemoteCommand({ kind: 'extract-tar', archive: '/tmp/r/root.tar', dir: '/', gzip: false })).toBe(`sudo -n tar -C '/' -xpf '/tmp/r/root.tar'`);
    expect(renderRemoteCommand({ kind: 'extract-tar', archive: '/tmp/r.tgz', dir: '/tmp/r', gzip: true })).toBe(`sudo -n tar -C '/tmp/r' -xpzf '/tmp/r.tgz'`);
    expect(renderRemoteCommand({ kind: 'make-dir', path: '/tmp/quorum-x', mode: 0o700 })).toBe(`sudo -n mkdir -p -m 0700 -- '/tmp/quorum-x'`);
    expect(renderRemoteCommand({ kind: 'disk-usage', path: '/var/lib/juju' })).toBe(`sudo -n du -s -B1 -- '/var/lib/juju'`);
    expect(renderRemoteCommand({ kind: 'remove-staging', path: '/var/tmp/quorum-restore-7' })).toBe(`sudo -n rm -rf -- '/var/tmp/quorum-restore-7'`);
  });

  it('validates the restore commands', () => {
    const bad: RemoteCommand[] = [
      { kind: 'upload-file', path: '/tmp/a', mode: 0o600, size: -1 },
      { kind: 'upload-file', path: '/tmp/a', mode: 0o600, size: 1.5 },
      { kind: 'upload-file', path: '/tmp/a', mode: 0o600, size: 1, sha1: 'not-a-sha' },
      { kind: 'upload-file', path: '/tmp/../etc/a', mode: 0o600, size: 1 },
      { kind: 'upload-file', path: '/tmp/a', mode: 0o1777, size: 1 },
      { kind: 'make-dir', path: 'tmp/x', mode: 0o700 },
      { kind: 'remove-staging', path: '/' },
      { kind: 'remove-staging', path: '/var/lib/juju' },
      { kind: 'remove-staging', path: '/quorum-x' },
      { kind: 'remove-staging', path: '/tmp/quorum-' },
      { kind: 'recreate-dirs', dirs: [] },
      { kind: 'recreate-dirs', dirs: [{ path: '/', mode: 0o755, owner: 'root' }] },
      { kind: 'recreate-dirs', dirs: [{ path: '/var', mode: 0o755, owner: 'root' }] },
      { kind: 'recreate-dirs', dirs: [{ path: '/var/lib', mode: 0o755, owner: 'root' }] },
      { kind: 'recreate-dirs', dirs: [{ path: '/etc/var/lib/jujux', mode: 0o755, owner: 'root' }] },
      { kind: 'recreate-dirs', dirs: [{ path: '/tmp/x/../var/lib/juju', mode: 0o755, owner: 'root' }] },
      { kind: 'recreate-dirs', dirs: [{ path: '/var/lib/juju', mode: 0o755, owner: 'root;reboot' }] },
      { kind: 'extract-tar', archive: '-', dir: '/', gzip: false },
      { kind: 'extract-tar', archive: '/tmp/a.tar', dir: 'relative', gzip: false },
      { kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: '/tmp/$(reboot)', oplogReplay: true },
      { kind: 'disk-usage', path: '/var/lib/../..' },
      { kind: 'restore-probe', dataDir: "/var/lib/juju'" },
    ];
    for (const cmd of bad) expect(() => renderRemoteCommand(cmd), JSON.stringify(cmd)).toThrow(RangeError);
    // Below a prefix (a test tree), but only Juju's own folders.
    expect(() =>
      renderRemoteCommand({ kind: 'recreate-dirs', dirs: [{ path: '/tmp/t/tree/var/lib/juju/db', mode: 0o700, owner: 'root:root' }] }),
    ).not.toThrow();
  });

  it('refuses restore lines that are not exactly the set', () => {
    const good = renderRemoteCommand({ kind: 'mongorestore', dbpath: '/var/lib/juju/db', dump: '/tmp/d', oplogReplay: true });
    for (const line of [
      good.replace('--drop --journal ', ''),
      good.replace('--oplogReplay', '--oplogLimit'),
      good.replace(' --dbpath', ' --host 10.0.0.1 --dbpath'),
      `${good} --restoreDbUsersAndRoles`,
      good.replace('quorum-mongorestore', 'sh'),
      "sudo -n tar -C '/' -xpf '/tmp/a.tar' --to-command=sh",
      "sudo -n tar -C '/' -xvpf '/tmp/a.tar'",
      "sudo -n rm -rf -- '/var/lib/juju'",
      "sudo -n rm -rf '/tmp/quorum-x'",
      "sudo -n mkdir -p -m 4755 -- '/tmp/x'",
      "sudo -n du -sh -- '/var'",
      renderRemoteCommand({ kind: 'upload-file', path: '/tmp/a', mode: 0o600, size: 10 }).replace("'10'", "'1e3'"),
    ]) {
      expect(parseRemoteCommand(line), line).toBeNull();
    }
  });

  it('maps the backup version to Juju 1.25 mongorestore arguments', () => {
    expect(mongorestoreOplogReplay('1.25.6')).toBe(true);
    expect(mongorestoreOplogReplay('1.22.0')).toBe(true);
    expect(mongorestoreOplogReplay('1.21.3')).toBe(false);
    expect(mongorestoreOplogReplay('1.20-beta2')).toBe(false);
    expect(() => mongorestoreOplogReplay('9999.9999.9999')).toThrow('cannot restore this backup version');
    expect(() => mongorestoreOplogReplay('2.0.0')).toThrow('cannot restore this backup version');
    expect(() => mongorestoreOplogReplay('garbage')).toThrow('cannot restore this backup version');
  });

  it('parses du and the restore probe', () => {
    expect(parseDiskUsage('104857600\t/var/lib/juju\n')).toBe(104857600);
    expect(() => parseDiskUsage('du: cannot access')).toThrow();
    const probe = parseRestoreProbe(
      'tools /var/lib/juju/tools/1.25.6-trusty-amd64/downloaded-tools.txt {"version":"1.25.6-trusty-amd64","url":"u","sha256":"s","size":1}\n' +
        'tools /var/lib/juju/tools/x/downloaded-tools.txt not json\n' +
        'mongorestore /usr/lib/juju/bin/mongorestore\nmongorestore-version mongorestore version 2.4.9\n',
    );
    expect(probe.tools).toEqual([
      { path: '/var/lib/juju/tools/1.25.6-trusty-amd64/downloaded-tools.txt', version: '1.25.6-trusty-amd64' },
      { path: '/var/lib/juju/tools/x/downloaded-tools.txt', version: null },
    ]);
    expect(probe.mongorestore).toEqual({ path: '/usr/lib/juju/bin/mongorestore', version: 'mongorestore version 2.4.9' });
    expect(parseRestoreProbe('').mongorestore).toBeNull();
  });
});
