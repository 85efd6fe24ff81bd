import type { OperationProgress } from '../../shared/ipc/operations';
import type { CliIo } from './context';
import { formatBytes } from '../../shared/format-bytes';

/**
 * Progress of a long operation (dump, upload, download) on stderr, redrawn
 * in place, only when stderr is a terminal and the command is not
 * `--quiet`: scripts and pipes see only the command's own output.
 */

export function progressLine(p: OperationProgress): string {
  const bytes = p.bytes === undefined ? '' : p.totalBytes ? ` ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}` : ` ${formatBytes(p.bytes)}`;
  const pct = p.fraction === undefined ? '' : ` (${Math.round(Math.min(1, Math.max(0, p.fraction)) * 100)}%)`;
  return `${p.message}${bytes}${pct}`;
}

export interface ProgressSink {
  update(progress: OperationProgress): void;
  /** Clears the line (before the command prints its result). */
  done(): void;
}

export function progressSink(io: CliIo, quiet: boolean): ProgressSink {
  if (quiet || !io.stderrIsTty) return { update: () => undefined, done: () => undefined };
  let drawn = false;
  return {
    update(p) {
      const width = Number(io.env.COLUMNS) > 20 ? Number(io.env.COLUMNS) - 1 : 79;
      io.stderr.write(`\r\x1b[K${progressLine(p).slice(0, width)}`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr.write('\r\x1b[K');
      drawn = false;
    },
  };
}
