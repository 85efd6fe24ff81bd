import fs from 'node:fs/promises';
import { createCertificateAuthority, issueServerCertificate, type CaSignature } from './pki';
import { createEnvironmentKey, generateRsaKeyPair, readKeyPair, writePrivateFile } from './keys';
import type { SandboxLayout } from './layout';
import { ENVIRONMENT_NAME, type EnvironmentRecord, stateServers } from './model';
import type { TreeKeys } from './tree/build-tree';

/**
 * The environment's long-lived key material, created once per sandbox and
 * kept in files (0600) under the sandbox dir: the CA (one per sandbox), the
 * state-server certificate juju-db serves (like Juju 1.x, one shared by every
 * state server), the environment SSH key (`juju_id_rsa`) and the state
 * servers' SSH identity (`system-identity`).
 */

export interface EnvironmentKeys extends TreeKeys {
  /** The environment's public SSH key (one line). */
  readonly environmentPublicKey: string;
}

const SYSTEM_IDENTITY = 'system-identity';

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
  return assemble(ca.certPem, ca.keyPem, server.certPem, server.keyPem, envKey.publicKey, system.private, `${system.public}\n`);
}

export async function loadEnvironmentKeys(layout: SandboxLayout): Promise<EnvironmentKeys> {
  const read = (f: string) => fs.readFile(f, 'utf8');
  const [caCert, caKey, serverCert, serverKey, envKey, system] = await Promise.all([
    read(layout.caCertFile),
    read(layout.caKeyFile),
    read(layout.serverCertFile),
    read(layout.serverKeyFile),
    readKeyPair(layout.privateKeyFile, layout.publicKeyFile),
    readKeyPair(`${layout.pkiDir}/${SYSTEM_IDENTITY}`),
  ]);
  return assemble(caCert, caKey, serverCert, serverKey, envKey.publicKey, system.privateKey, system.publicKey);
}

function assemble(
  caCertPem: string,
  caKeyPem: string,
  serverCertPem: string,
  serverKeyPem: string,
  environmentPublicKey: string,
  systemIdentity: string,
  systemPublicKey: string,
): EnvironmentKeys {
  return {
    caCertPem,
    caKeyPem,
    serverCertPem,
    serverKeyPem,
    systemIdentity,
    environmentPublicKey: environmentPublicKey.trim(),
    // Juju's authorized_keys holds the client key and the state servers' system key.
    authorizedKeys: `${environmentPublicKey.trim()}\n${systemPublicKey.trim()}\n`,
  };
}
