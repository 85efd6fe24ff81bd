/**
 * The command-line arguments when the app's executable is asked to run a
 * `quorum` command (`quorum backups create`, `quorum status`, `quorum
 * help`), else null. Packaged, argv is `[exe, ...args]`; unpackaged
 * (`electron .`), `[electron, app, ...args]`. Chromium switches
 * (`--no-sandbox`, …) before the command are skipped.
 */
export const CLI_COMMANDS: readonly string[] = ['backups', 'status', 'ensure-availability', 'help', 'version'];

export function cliArgv(argv: readonly string[], packaged: boolean): string[] | null {
  const args = argv.slice(packaged ? 1 : 2);
  const first = args.findIndex((a) => !a.startsWith('-'));
  if (first < 0 || !CLI_COMMANDS.includes(args[first]!)) return null;
  return args.slice(first);
}
