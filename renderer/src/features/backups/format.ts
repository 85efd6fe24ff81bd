import { formatBytes } from '../../../../shared/format-bytes';

export { formatBytes };

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** A UTC ISO time as `YYYY-MM-DD hh:mm:ss UTC` (backup IDs are UTC too). */
export function formatUtc(iso: string | null): string {
  if (iso === null) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}
