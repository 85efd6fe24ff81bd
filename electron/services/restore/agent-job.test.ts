import { describe, expect, it } from 'vitest';
import { isUnknownJob, machineAgentJobPath, machineAgentUpstartConf } from './agent-job';

describe("Juju 1.25's upstart job for a machine agent", () => {
  it('renders as the upstart renderer writes it', () => {
    expect(machineAgentUpstartConf('3')).toBe(`description "juju agent for machine-3"
author "Juju Team <juju@lists.ubuntu.com>"
start on runlevel [2345]
stop on runlevel [!2345]
respawn
normal exit 0

limit nofile 20000 20000

script


  # Ensure log files are properly protected
  touch /var/log/juju/machine-3.log
  chown syslog:syslog /var/log/juju/machine-3.log
  chmod 0600 /var/log/juju/machine-3.log

  exec '/var/lib/juju/tools/machine-3/jujud' machine --data-dir '/var/lib/juju' --machine-id 3 --debug >> /var/log/juju/machine-3.log 2>&1
end script
`);
    expect(machineAgentJobPath('0')).toBe('/etc/init/jujud-machine-0.conf');
  });

  it('renders machine 0 as a fresh 1.25 bootstrap has it', () => {
    expect(machineAgentUpstartConf('0')).toBe(`description "juju agent for machine-0"
author "Juju Team <juju@lists.ubuntu.com>"
start on runlevel [2345]
stop on runlevel [!2345]
respawn
normal exit 0

limit nofile 20000 20000

script


  # Ensure log files are properly protected
  touch /var/log/juju/machine-0.log
  chown syslog:syslog /var/log/juju/machine-0.log
  chmod 0600 /var/log/juju/machine-0.log

  exec '/var/lib/juju/tools/machine-0/jujud' machine --data-dir '/var/lib/juju' --machine-id 0 --debug >> /var/log/juju/machine-0.log 2>&1
end script
`);
  });

  it('refuses anything but a machine id (it lands in a shell script)', () => {
    for (const bad of ['', '01', '1/lxc/0', "1'; reboot", '-1']) expect(() => machineAgentUpstartConf(bad)).toThrow(RangeError);
  });

  it("recognises upstart's and service's words for a missing job", () => {
    expect(isUnknownJob('service jujud-machine-1 status on 10.0.0.5 exited with status 1: jujud-machine-1: unrecognized service.')).toBe(true);
    expect(isUnknownJob('status: Unknown job: jujud-machine-1')).toBe(true);
    expect(isUnknownJob('jujud-machine-1 stop/waiting')).toBe(false);
  });
});
