import type { Command } from '../context';
import { backupsCreate } from './backups-create';
import { backupsDownload } from './backups-download';
import { backupsInfo } from './backups-info';
import { backupsList } from './backups-list';
import { backupsPrune } from './backups-prune';
import { backupsRemove } from './backups-remove';
import { backupsRestore } from './backups-restore';
import { backupsUpload } from './backups-upload';
import { ensureAvailability } from './ensure-availability';
import { status } from './status';

/** Every command, one file each; help lists them in this order. */
export const COMMANDS: readonly Command<never>[] = [
  status,
  backupsCreate,
  backupsList,
  backupsInfo,
  backupsDownload,
  backupsUpload,
  backupsRemove,
  backupsPrune,
  backupsRestore,
  ensureAvailability,
] as unknown as readonly Command<never>[];

/** Groups of commands (`quorum backups …`) and what they are for. */
export const GROUPS: Readonly<Record<string, string>> = {
  backups: 'create, manage and restore backups of juju state',
};
