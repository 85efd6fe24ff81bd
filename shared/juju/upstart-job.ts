/**
 * An upstart job as Juju 1.25's `service/upstart` renderer writes it (its
 * `confT` template with `limit nofile 20000 20000` and the empty
 * `ExtraScript` line before the log set-up): the sandbox builds its
 * machines' `/etc/init/*.conf` with it, and restore installs a missing
 * machine agent job with it, so both are byte for byte what trusty hosts
 * carry.
 */
/** The Juju agent job an `/etc/init/<job>.conf` path defines (`jujud-machine-N`, `jujud-unit-…`), else null. */
export function upstartJobOf(remotePath: string): string | null {
  return /^\/etc\/init\/(jujud-(?:machine-(?:0|[1-9][0-9]*)|unit-[a-z][a-z0-9-]*-(?:0|[1-9][0-9]*)))\.conf$/.exec(remotePath)?.[1] ?? null;
}

export function renderUpstartJob(description: string, exec: string, logName?: string): string {
  const logSetup = logName
    ? `
  # Ensure log files are properly protected
  touch /var/log/juju/${logName}.log
  chown syslog:syslog /var/log/juju/${logName}.log
  chmod 0600 /var/log/juju/${logName}.log
`
    : '';
  return `description "${description}"
author "Juju Team <juju@lists.ubuntu.com>"
start on runlevel [2345]
stop on runlevel [!2345]
respawn
normal exit 0

limit nofile 20000 20000

script
${logName ? '\n' : ''}${logSetup}
  exec ${exec}${logName ? ` >> /var/log/juju/${logName}.log 2>&1` : ''}
end script
`;
}
