import type { QuorumApi } from '../../../../shared/ipc/contract';

/**
 * What the window learns about a dropped (or picked) item before reading
 * it: the File, and whether the browser knows it to be a folder. Chromium
 * and Electron say so through `webkitGetAsEntry()`; a folder's File is
 * otherwise indistinguishable from an empty file without a type.
 */
export interface DroppedItem {
  readonly file: File;
  readonly isDirectory: boolean;
}

/** Juju's archives: `juju-backup-*.tar.gz`, or any `.tar.gz` / `.tgz` (`--filename`). */
export const ARCHIVE_PATTERN = /\.(?:tar\.gz|tgz)$/i;

export const ARCHIVE_ACCEPT = '.tar.gz,.tgz,application/gzip,application/x-gzip,application/x-compressed-tar';

export type DropCheck = { readonly ok: true; readonly file: File } | { readonly ok: false; readonly reason: string };

/** Refuses anything but exactly one archive file, in a sentence that says what to drop instead. */
export function checkDroppedItem(items: readonly DroppedItem[]): DropCheck {
  if (items.length === 0) {
    return { ok: false, reason: 'Nothing that Quorum can read was dropped. Drop a backup archive file (.tar.gz or .tgz) from a folder on this computer.' };
  }
  if (items.length > 1) {
    return { ok: false, reason: `${items.length} items were dropped. Drop one backup archive (.tar.gz or .tgz) at a time.` };
  }
  const { file, isDirectory } = items[0]!;
  if (isDirectory) {
    return { ok: false, reason: `"${file.name}" is a folder, not a backup archive. Drop the archive itself (a .tar.gz or .tgz file), not the folder holding it.` };
  }
  if (!ARCHIVE_PATTERN.test(file.name)) {
    return {
      ok: false,
      reason: `"${file.name}" is not a backup archive. Quorum restores Juju backups, which are .tar.gz or .tgz files such as juju-backup-20150210-1352.tar.gz.`,
    };
  }
  if (file.size === 0) {
    return { ok: false, reason: `"${file.name}" is empty, so it cannot be a backup archive. Drop the archive that juju backups create downloaded.` };
  }
  return { ok: true, file };
}

/** Reads the items of a drop: every file, marked as a folder where the browser says so. */
export function droppedItems(transfer: DataTransfer | null): DroppedItem[] {
  if (transfer === null) return [];
  const files = [...transfer.files];
  const items = transfer.items === undefined ? [] : [...transfer.items].filter((item) => item.kind === 'file');
  return files.map((file, index) => {
    const entry = items[index]?.webkitGetAsEntry?.() ?? null;
    return { file, isDirectory: entry?.isDirectory === true };
  });
}

/** True while a drag carries files (not text or a link dragged inside the page). */
export function dragHasFiles(transfer: DataTransfer | null): boolean {
  return transfer !== null && [...transfer.types].includes('Files');
}

/** How a File becomes a path main can read (the bridge's `stageFile`). */
export type FileStager = (file: File, onProgress?: (sent: number, total: number) => void) => Promise<{ localPath: string }>;

/**
 * The bridge the app runs on carries `stageFile` (Electron: the preload's
 * `webUtils.getPathForFile`; browser mode: streaming to the host's staging
 * folder). The store only knows the contract, so it looks for it here.
 */
export function stagerOf(api: QuorumApi): FileStager {
  const candidate = (api as QuorumApi & { stageFile?: unknown }).stageFile;
  if (typeof candidate === 'function') return (candidate as FileStager).bind(api);
  return () => Promise.reject(new Error('This window cannot read dropped files. Open the archive from the Backups list instead.'));
}
