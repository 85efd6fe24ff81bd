import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';

/**
 * SSH key material of the sandbox: the environment key (Juju's
 * `~/.juju/ssh/juju_id_rsa`, RSA in OpenSSH format) and each machine's
 * ed25519 host key. Generated with ssh2's own generator because ssh2 rejects
 * ed25519 keys exported by Node's crypto as PKCS8.
 */

export interface KeyPairFiles {
  readonly privateKey: string;
  readonly publicKey: string;
}

/** Write a file with mode 0600 from the start (no window with wider permissions). */
export async function writePrivateFile(file: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, content, { mode: 0o600 });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
}

/** RSA key generation on libuv's thread pool, so several keys (and the CA's) are made in parallel. */
export function generateRsaKeyPair(comment: string): Promise<{ private: string; public: string }> {
  return new Promise((resolve, reject) =>
    ssh2.utils.generateKeyPair('rsa', { bits: 2048, comment }, (err, pair) => (err ? reject(err) : resolve(pair))),
  );
}

/** Juju generates a 2048-bit RSA client key commented `juju-client-key`. */
export async function createEnvironmentKey(privateFile: string, publicFile: string): Promise<KeyPairFiles> {
  const pair = await generateRsaKeyPair('juju-client-key');
  await writePrivateFile(privateFile, pair.private);
  await writePrivateFile(publicFile, `${pair.public}\n`);
  return { privateKey: pair.private, publicKey: `${pair.public}\n` };
}

/**
 * ssh2 1.17 writes about one ed25519 key in 200 in a form its own parser
 * then rejects ("Malformed OpenSSH private key"); such a host key would make
 * the machine's sshd unusable, so keys are generated until both halves parse.
 */
export function generateEd25519KeyPair(comment: string): { private: string; public: string } {
  for (let attempt = 0; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const ok = !(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error);
    if (ok) return pair;
    if (attempt > 50) throw new Error('could not generate a usable ed25519 key');
  }
}

export async function createHostKey(privateFile: string, machineId: string): Promise<KeyPairFiles> {
  const pair = generateEd25519KeyPair(`root@machine-${machineId}`);
  await writePrivateFile(privateFile, pair.private);
  await writePrivateFile(`${privateFile}.pub`, `${pair.public}\n`);
  return { privateKey: pair.private, publicKey: `${pair.public}\n` };
}

export async function readKeyPair(privateFile: string, publicFile = `${privateFile}.pub`): Promise<KeyPairFiles> {
  const [privateKey, publicKey] = await Promise.all([fs.readFile(privateFile, 'utf8'), fs.readFile(publicFile, 'utf8')]);
  return { privateKey, publicKey };
}

export function parseKey(text: string | Buffer): ParsedKey {
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) throw new Error('no key found');
  return key;
}

/** OpenSSH's `SHA256:<base64, no padding>` fingerprint of a public key. */
export function fingerprintSha256(key: string | Buffer | ParsedKey): string {
  const parsed = typeof key === 'string' || Buffer.isBuffer(key) ? parseKey(key) : key;
  const digest = createHash('sha256').update(parsed.getPublicSSH()).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}
