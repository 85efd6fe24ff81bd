import path from 'node:path';

/**
 * Where everything of the sandbox lives under `<QUORUM_HOME>/sandbox/`.
 * One place, so `reset` can remove exactly this and tests can find files.
 *
 * ```
 * sandbox/
 *   environment.json          identities, secrets, ports (0600)
 *   running.json              how to reach it while a process runs it (0600, no secrets)
 *   ssh/juju_id_rsa{,.pub}    the environment's SSH key, like ~/.juju/ssh/
 *   pki/                      environment CA and the state-server certificate
 *   juju-db/                  replica-set member data (machine-N/)
 *   machines/N/root/          machine N's filesystem tree
 *   machines/N/ssh_host_ed25519_key{,.pub}
 * ```
 */
export class SandboxLayout {
  readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(path.resolve(home), 'sandbox');
  }

  get environmentFile(): string {
    return path.join(this.dir, 'environment.json');
  }
  get lockFile(): string {
    return path.join(this.dir, 'sandbox.lock');
  }
  /** How to reach the running sandbox, for other processes (`running-file.ts`); present only while it runs. */
  get runningFile(): string {
    return path.join(this.dir, 'running.json');
  }
  get sshDir(): string {
    return path.join(this.dir, 'ssh');
  }
  get privateKeyFile(): string {
    return path.join(this.sshDir, 'juju_id_rsa');
  }
  get publicKeyFile(): string {
    return path.join(this.sshDir, 'juju_id_rsa.pub');
  }
  get pkiDir(): string {
    return path.join(this.dir, 'pki');
  }
  get caCertFile(): string {
    return path.join(this.pkiDir, 'ca.crt');
  }
  get caKeyFile(): string {
    return path.join(this.pkiDir, 'ca.key');
  }
  get serverCertFile(): string {
    return path.join(this.pkiDir, 'server.crt');
  }
  get serverKeyFile(): string {
    return path.join(this.pkiDir, 'server.key');
  }
  get jujuDbDir(): string {
    return path.join(this.dir, 'juju-db');
  }
  machineDir(id: string): string {
    return path.join(this.dir, 'machines', id);
  }
  machineRoot(id: string): string {
    return path.join(this.machineDir(id), 'root');
  }
  hostKeyFile(id: string): string {
    return path.join(this.machineDir(id), 'ssh_host_ed25519_key');
  }
}
