import os from 'node:os';
import path from 'node:path';

/**
 * Where Quorum keeps its state (sandbox, known hosts, local backup library).
 * `QUORUM_HOME` wins so tests, the CLI and operators can move everything to
 * another folder; otherwise the platform's per-user application-data folder,
 * the same place Electron's `app.getPath('userData')` would pick for "Quorum".
 */
export function resolveQuorumHome(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  homedir: string = os.homedir(),
): string {
  const explicit = env.QUORUM_HOME?.trim();
  if (explicit) return path.resolve(explicit);
  switch (platform) {
    case 'darwin':
      return path.join(homedir, 'Library', 'Application Support', 'Quorum');
    case 'win32':
      return path.join(env.APPDATA?.trim() || path.join(homedir, 'AppData', 'Roaming'), 'Quorum');
    default:
      return path.join(env.XDG_CONFIG_HOME?.trim() || path.join(homedir, '.config'), 'Quorum');
  }
}
