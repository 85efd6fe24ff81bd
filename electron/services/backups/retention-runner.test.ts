import { describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import type { BackupListItem, ChecksumState } from '../../../shared/ipc/channels/backups';
import { applyRetention, type ApplyRetentionInput } from './retention-runner';

const UUID = '11111111-2222-4333-8444-555555555555';
const OTHER = '99999999-2222-4333-8444-555555555555';
const NOW = new Date('2024-05-20T12:00:00Z');

function meta(started: string, environment = UUID): BackupMetadata {
  const id = `${started.replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}.${environment}`;
  return { id, checksum: 'x', checksumFormat: 'SHA-1, base64 encoded', size: 1, stored: null, started, finished: started, notes: '', environment, machine: '0', hostname: 'h', version: '1.25.6' };
}

function item(started: string, location: BackupListItem['location'], checksumState: ChecksumState = 'unverified', environment = UUID): BackupListItem {
  const m = meta(started, environment);
  return { id: m.id, location, metadata: m, localPath: location === 'server' ? null : `/lib/juju-backup-${m.id}.tar.gz`, checksumState };
}

function fakeBackups(items: BackupListItem[], options: { invalid?: string[]; serverError?: QuorumError; uuidFails?: boolean; failDelete?: string } = {}) {
  const deleted: string[] = [];
  const removed: string[] = [];
  const backups: ApplyRetentionInput['backups'] = {
    list: async () => ({ folder: '/lib', items, invalid: (options.invalid ?? []).map((p) => ({ localPath: p, reason: 'not a gzip file' })), serverError: options.serverError ?? null }),
    deleteLocal: async (p) => {
      if (p === options.failDelete) throw new QuorumError('forbidden', 'the file is read-only; check its permissions.');
      deleted.push(p);
      return p;
    },
    remove: async (_env, id) => {
      removed.push(id);
    },
    environmentUuid: async () => {
      if (options.uuidFails) throw new QuorumError('host-unreachable', 'no state server');
      return UUID;
    },
  };
  return { backups, deleted, removed };
}

describe('applyRetention', () => {
  it('removes local archives past the count, keeping the newest N', async () => {
    const items = [item('2024-05-20T10:00:00Z', 'local', 'verified'), item('2024-05-19T10:00:00Z', 'local'), item('2024-05-18T10:00:00Z', 'local'), item('2024-05-17T10:00:00Z', 'local')];
    const f = fakeBackups(items);
    const r = await applyRetention({ backups: f.backups, environmentId: 'e', policy: { keep: 2 }, now: NOW });
    expect(f.deleted).toEqual([items[2]!.localPath, items[3]!.localPath]);
    expect(r.removed.map((i) => i.reason)).toEqual(['beyond the newest 2 backups', 'beyond the newest 2 backups']);
    expect(r.kept).toHaveLength(2);
    expect(f.removed).toEqual([]);
  });

  it('removes by age but never the newest verified backup', async () => {
    const items = [item('2024-05-01T10:00:00Z', 'local'), item('2024-04-01T10:00:00Z', 'local', 'verified'), item('2024-03-01T10:00:00Z', 'local')];
    const f = fakeBackups(items);
    const r = await applyRetention({ backups: f.backups, environmentId: 'e', policy: { maxAgeDays: 7 }, now: NOW });
    expect(f.deleted.sort()).toEqual([items[0]!.localPath, items[2]!.localPath].sort());
    expect(r.kept).toEqual([expect.objectContaining({ key: items[1]!.localPath, reason: 'newest verified backup: always kept' })]);
  });

  it('never touches unreadable files or other environments’ archives', async () => {
    const items = [item('2024-05-19T10:00:00Z', 'local'), item('2024-01-01T10:00:00Z', 'local', 'unverified', OTHER)];
    const f = fakeBackups(items, { invalid: ['/lib/holiday.tar.gz'] });
    const r = await applyRetention({ backups: f.backups, environmentId: 'e', policy: { keep: 1, maxAgeDays: 1 }, now: NOW });
    expect(f.deleted).toEqual([items[0]!.localPath]);
    expect(r.skipped).toEqual([expect.objectContaining({ key: '/lib/holiday.tar.gz', reason: expect.stringMatching(/not identified as a Juju backup.*never removed/) })]);
    expect([...r.removed, ...r.kept, ...r.skipped].some((i) => i.key === items[1]!.localPath)).toBe(false);
  });

  it('plans only on a dry run', async () => {
    const items = [item('2024-05-19T10:00:00Z', 'both', 'verified'), item('2024-05-18T10:00:00Z', 'both')];
    const f = fakeBackups(items);
    const r = await applyRetention({ backups: f.backups, environmentId: 'e', policy: { keep: 1 }, includeServer: true, dryRun: true, now: NOW });
    expect(r.dryRun).toBe(true);
    expect(r.removed.map((i) => i.location)).toEqual(['local', 'server']);
    expect(f.deleted).toEqual([]);
    expect(f.removed).toEqual([]);
  });

  it('prunes the server copies only when asked, and reports a server it could not read', async () => {
    const items = [item('2024-05-19T10:00:00Z', 'server', 'verified'), item('2024-05-18T10:00:00Z', 'server')];
    const f = fakeBackups(items);
    await applyRetention({ backups: f.backups, environmentId: 'e', policy: { keep: 1 }, now: NOW });
    expect(f.removed).toEqual([]);
    await applyRetention({ backups: f.backups, environmentId: 'e', policy: { keep: 1 }, includeServer: true, now: NOW });
    expect(f.removed).toEqual([items[1]!.id]);

    const down = fakeBackups([], { serverError: new QuorumError('mongo-unavailable', 'juju-db did not answer.') });
    const r = await applyRetention({ backups: down.backups, environmentId: 'e', policy: { keep: 1 }, includeServer: true, now: NOW });
    expect(r.skipped).toEqual([expect.objectContaining({ location: 'server', reason: expect.stringContaining('juju-db did not answer.') })]);
  });

  it('removes nothing locally when the environment cannot tell which archives are its own', async () => {
    const items = [item('2024-05-19T10:00:00Z', 'local'), item('2024-05-18T10:00:00Z', 'local')];
    const f = fakeBackups(items, { uuidFails: true });
    const r = await applyRetention({ backups: f.backups, environmentId: 'e', policy: { keep: 1 }, now: NOW });
    expect(f.deleted).toEqual([]);
    expect(r.skipped).toHaveLength(2);
  });

  it('reports a removal that failed with the reason in words', async () => {
    const items = [item('2024-05-19T10:00:00Z', 'local'), item('2024-05-18T10:00:00Z', 'local')];
    const f = fakeBackups(items, { failDelete: items[1]!.localPath! });
    const r = await applyRetention({ backups: f.backups, environmentId: 'e', policy: { keep: 1 }, now: NOW });
    expect(r.failed).toEqual([expect.objectContaining({ reason: 'beyond the newest 1 backup, but the file is read-only; check its permissions.' })]);
  });

  it('refuses an unusable policy', async () => {
    const f = fakeBackups([]);
    await expect(applyRetention({ backups: f.backups, environmentId: 'e', policy: { keep: 0 } })).rejects.toMatchObject({ code: 'invalid-input' });
  });
});
