import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs/promises';
import ssh2, { type ParsedKey } from 'ssh2';
import { QuorumError } from '../../../shared/errors';

/**
 * Loads the environment's SSH private key. An encrypted key with no known
 * passphrase fails with `passphrase-required` (the UI asks the operator and
 * calls `connection.providePassphrase`); a wrong passphrase fails the same
 * way, flagged, so the prompt can say so. The passphrase itself never
 * appears in any message.
 */
export async function loadPrivateKey(keyFile: string, passphrase?: string): Promise<ParsedKey> {
  let text: string;
  try {
    text = await fs.readFile(keyFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new QuorumError(
      'ssh-auth-failed',
      `Quorum cannot read the SSH private key ${keyFile} (${code}). Check that the file exists and that you can read it, or choose another key for this environment.`,
      { details: { keyFile }, cause: error },
    );
  }
  return parsePrivateKey(text, keyFile, passphrase);
}

const ENCRYPTED_NO_PASSPHRASE = /no passphrase given/i;
const BAD_PASSPHRASE = /bad passphrase|bad decrypt|integrity check failed/i;

/** Parses key text (OpenSSH, PEM, PKCS#8, PPK) the way `loadPrivateKey` does; `keyFile` only names it in messages. */
export function parsePrivateKey(text: string, keyFile: string, passphrase?: string): ParsedKey {
  const source = text.includes('BEGIN ENCRYPTED PRIVATE KEY') ? decryptPkcs8(text, keyFile, passphrase) : text;
  const parsed = ssh2.utils.parseKey(source, passphrase);
  if (parsed instanceof Error) {
    if (ENCRYPTED_NO_PASSPHRASE.test(parsed.message)) throw passphraseRequired(keyFile, false);
    if (passphrase !== undefined && BAD_PASSPHRASE.test(parsed.message)) throw passphraseRequired(keyFile, true);
    throw new QuorumError(
      'ssh-auth-failed',
      `${keyFile} is not a private key Quorum can use (${parsed.message}). Use an OpenSSH or PEM private key (RSA, ECDSA or ed25519), such as Juju's ~/.juju/ssh/juju_id_rsa.`,
      { details: { keyFile } },
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key.getPrivatePEM() === null) {
    throw new QuorumError(
      'ssh-auth-failed',
      `${keyFile} holds no private key (is it the .pub file?). Choose the private half of the environment's key.`,
      { details: { keyFile } },
    );
  }
  return key;
}

/** PKCS#8-encrypted keys (`openssl genpkey -aes256`) are decrypted with Node's crypto; ssh2 does not read them. */
function decryptPkcs8(text: string, keyFile: string, passphrase?: string): string {
  if (passphrase === undefined || passphrase === '') throw passphraseRequired(keyFile, false);
  try {
    const key = createPrivateKey({ key: text, format: 'pem', passphrase });
    if (key.asymmetricKeyType === 'rsa') return key.export({ type: 'pkcs1', format: 'pem' }).toString();
    if (key.asymmetricKeyType === 'ec') return key.export({ type: 'sec1', format: 'pem' }).toString();
    return key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw passphraseRequired(keyFile, true);
  }
}

function passphraseRequired(keyFile: string, wrong: boolean): QuorumError {
  return new QuorumError(
    'passphrase-required',
    wrong
      ? `The passphrase for the SSH key ${keyFile} is not correct. Enter it again.`
      : `The SSH key ${keyFile} is protected by a passphrase. Enter it to connect; Quorum keeps it in memory only, for this session.`,
    { details: { keyFile, wrongPassphrase: wrong } },
  );
}
