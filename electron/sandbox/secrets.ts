import fs from 'node:fs/promises';
import { createCertificateAuthority, issueServerCertificate, type CaSignature } from './pki';
import { randomPassword } from './environment';
import { createEnvironmentKey, generateRsaKeyPair, readKeyPair, writePrivateFile } from './keys';
import type { SandboxLayout } from './layout';
import { ENVIRONMENT_NAME, type EnvironmentRecord, stateServers } from './model';
import type { TreeKeys } from './tree/build-tree';

/**
 * The environment's long-lived key material, created once per sandbox and
 * kept in files (0600) under the sandbox dir: the CA (one per sandbox), the
 * state-server certificate juju-db serves (like Juju 1.x, one shared by every
 * state server), the environment SSH key (`juju_id_rsa`) and the state
 * servers' SSH identity (`system-identity`), and the environment admin's
 * API password (`admin-password`: the `.jenv` `password` of `user-admin`,
 * which the sandbox's Juju API servers check at `Admin.Login`; it is not
 * the Mongo `admin` password, which is machine 0's `oldpassword`).
 */

export interface EnvironmentKeys extends TreeKeys {
  /** The environment's public SSH key (one line). */
  readonly environmentPublicKey: string;
  /** `user-admin`'s API password (the `.jenv` `password`). */
  readonly adminUserPassword: string;
}

const SYSTEM_IDENTITY = 'system-identity';
const ADMIN_PASSWORD = 'admin-password';

/** Where `user-admin`'s API password is kept (0600) under a sandbox's pki dir. */
export function adminPasswordFile(pkiDir: string): string {
  return `${pkiDir}/${ADMIN_PASSWORD}`;
}

/**
 * `user-admin`'s API password. Sandboxes created before the API server
 * existed have none: one is made and kept on first use, as `juju bootstrap`
 * would have made it (`utils.RandomPassword`).
 */
export async function loadAdminUserPassword(pkiDir: string): Promise<string> {
  const file = adminPasswordFile(pkiDir);
  try {
    const text = (await fs.readFile(file, 'utf8')).trim();
    if (text !== '') return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const password = randomPassword();
  await writePrivateFile(file, `${password}\n`);
  return password;
}

/** DNS names Juju puts in the state-server certificate, plus its addresses. */
function serverNames(env: EnvironmentRecord): { dns: string[]; ips: string[] } {
  return {
    dns: ['localhost', 'juju-apiserver', 'juju-mongodb', 'anything'],
    ips: ['127.0.0.1', ...stateServers(env).map((m) => m.address)],
  };
}

export async function createEnvironmentKeys(layout: SandboxLayout, env: EnvironmentRecord, signature: CaSignature = 'sha256'): Promise<EnvironmentKeys> {
  // The SSH keys are generated on the thread pool while the (synchronous) PKI runs here.
  const sshKeys = Promise.all([createEnvironmentKey(layout.privateKeyFile, layout.publicKeyFile), generateRsaKeyPair('juju-system-key')]);
  const ca = createCertificateAuthority(ENVIRONMENT_NAME, 10, signature);
  const server = issueServerCertificate(ca, serverNames(env));
  await writePrivateFile(layout.caCertFile, ca.certPem);
  await writePrivateFile(layout.caKeyFile, ca.keyPem);
  await writePrivateFile(layout.serverCertFile, server.certPem);
  await writePrivateFile(layout.serverKeyFile, server.keyPem);
  const [envKey, system] = await sshKeys;
  await writePrivateFile(`${layout.pkiDir}/${SYSTEM_IDENTITY}`, system.private);
  await writePrivateFile(`${layout.pkiDir}/${SYSTEM_IDENTITY}.pub`, `${system.public}\n`);
  const adminUserPassword = await loadAdminUserPassword(layout.pkiDir);
  return assemble(ca.certPem, ca.keyPem, server.certPem, server.keyPem, envKey.publicKey, system.private, `${system.public}\n`, adminUserPassword);
}

export async function loadEnvironmentKeys(layout: SandboxLayout): Promise<EnvironmentKeys> {
  const read = (f: string) => fs.readFile(f, 'utf8');
  const [caCert, caKey, serverCert, serverKey, envKey, system, adminUserPassword] = await Promise.all([
    read(layout.caCertFile),
    read(layout.caKeyFile),
    read(layout.serverCertFile),
    read(layout.serverKeyFile),
    readKeyPair(layout.privateKeyFile, layout.publicKeyFile),
    readKeyPair(`${layout.pkiDir}/${SYSTEM_IDENTITY}`),
    loadAdminUserPassword(layout.pkiDir),
  ]);
  return assemble(caCert, caKey, serverCert, serverKey, envKey.publicKey, system.privateKey, system.publicKey, adminUserPassword);
}

function assemble(
  caCertPem: string,
  caKeyPem: string,
  serverCertPem: string,
  serverKeyPem: string,
  environmentPublicKey: string,
  systemIdentity: string,
  systemPublicKey: string,
  adminUserPassword: string,
): EnvironmentKeys {
  return {
    caCertPem,
    caKeyPem,
    serverCertPem,
    serverKeyPem,
    systemIdentity,
    environmentPublicKey: environmentPublicKey.trim(),
    adminUserPassword,
    // Juju's authorized_keys holds the client key and the state servers' system key.
    authorizedKeys: `${environmentPublicKey.trim()}\n${systemPublicKey.trim()}\n`,
  };
}
