import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';

/**
 * The environment admin's API credentials, which `ensure-availability` and
 * `remove-machine` log in with (PROTOCOL.md §3, §8). Found, in order: a
 * password the operator typed (`ha.setAdminPassword`), the `.jenv`
 * `password` (read from the file when needed, never kept in the
 * environments list or anything serialised), and for the sandbox its own
 * `pki/admin-password` until its `.jenv` exists. Memory only; every
 * password is registered as a secret the moment it is read.
 */

export type PasswordSource = 'jenv' | 'entered' | 'missing';

export interface ApiCredentials {
  /** Bare user name (`admin`). */
  readonly user: string;
  readonly password: string;
  readonly source: 'jenv' | 'entered';
}

/** Where an environment's credentials may be read from. */
export interface CredentialFiles {
  /** The environment's `.jenv`, or null (environments added by hand have none). */
  readonly jenv: string | null;
  /** A file holding only the password (the sandbox's `pki/admin-password`), tried after the `.jenv`. */
  readonly passwordFile?: string | null;
}

export interface JenvFacts {
  readonly user: string | null;
  readonly password: string | null;
  readonly environUuid: string | null;
  readonly caCertPem: string | null;
}

/** Reads the keys Quorum's API login needs from a `.jenv`; null when the file is absent or unreadable. */
export async function readJenvFacts(file: string, secrets: SecretRegistry): Promise<JenvFacts | null> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'), { maxAliasCount: 50 });
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const d = doc as Record<string, unknown>;
  const str = (key: string) => (typeof d[key] === 'string' && d[key] !== '' ? d[key] : null);
  const password = str('password');
  secrets.add(password);
  return { user: str('user'), password, environUuid: str('environ-uuid'), caCertPem: str('ca-cert') };
}

export class AdminCredentials {
  readonly #secrets: SecretRegistry;
  readonly #files: (environmentId: string) => Promise<CredentialFiles>;
  readonly #entered = new Map<string, string>();

  constructor(secrets: SecretRegistry, files: (environmentId: string) => Promise<CredentialFiles>) {
    this.#secrets = secrets;
    this.#files = files;
  }

  /** Keeps a typed password for this run of Quorum only. */
  enter(environmentId: string, password: string): void {
    this.#secrets.add(password);
    this.#entered.set(environmentId, password);
  }

  /** Forgets a typed password (after Juju refused it). */
  forget(environmentId: string, password: string): void {
    if (this.#entered.get(environmentId) === password) this.#entered.delete(environmentId);
  }

  async source(environmentId: string): Promise<PasswordSource> {
    return (await this.find(environmentId))?.source ?? 'missing';
  }

  /** The credentials, or null when no password is known. */
  async find(environmentId: string): Promise<ApiCredentials | null> {
    const files = await this.#files(environmentId).catch(() => ({ jenv: null }) as CredentialFiles);
    const jenv = files.jenv === null ? null : await readJenvFacts(files.jenv, this.#secrets);
    const user = jenv?.user ?? 'admin';
    const entered = this.#entered.get(environmentId);
    if (entered !== undefined) return { user, password: entered, source: 'entered' };
    if (jenv?.password) return { user, password: jenv.password, source: 'jenv' };
    if (files.passwordFile) {
      const text = await readFile(files.passwordFile, 'utf8').then(
        (t) => t.trim(),
        () => '',
      );
      if (text !== '') {
        this.#secrets.add(text);
        return { user, password: text, source: 'jenv' };
      }
    }
    return null;
  }

  async require(environmentId: string): Promise<ApiCredentials> {
    const found = await this.find(environmentId);
    if (found === null) {
      throw new QuorumError(
        'admin-password-required',
        "Quorum needs the environment admin's password to call Juju's API (the .jenv \"password\"), and none is known for this environment. Enter it on the HA page; it is kept in memory only.",
      );
    }
    return found;
  }
}
