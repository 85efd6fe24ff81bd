/**
 * Secret redaction. Services register every secret they learn (passwords from
 * `agent.conf`, key passphrases) with a `SecretRegistry`; anything written to
 * a log or sent to the renderer passes through `redact` first, so a secret
 * that slips into an error message from a library is still never shown.
 */

const MASK = '[redacted]';

/** Keys whose values are always secret, wherever they appear (YAML `key: v`, `key=v`, and JSON `"key":"v"`). */
const SECRET_KEY_PATTERN =
  /\b(statepassword|apipassword|oldpassword|sharedsecret|password|passphrase|caprivatekey|stateserverkey|systemidentity)("?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,}]+)/gi;

export class SecretRegistry {
  readonly #secrets = new Set<string>();

  /** Remember a secret. Very short values are ignored: masking them would mangle text. */
  add(secret: string | undefined | null): void {
    if (secret && secret.length >= 6) this.#secrets.add(secret);
  }

  has(secret: string): boolean {
    return this.#secrets.has(secret);
  }

  redact(text: string): string {
    let out = text.replace(SECRET_KEY_PATTERN, (_m, key: string, sep: string) => `${key}${sep}${MASK}`);
    // Longest first so a secret that contains another is masked whole.
    const secrets = [...this.#secrets].sort((a, b) => b.length - a.length);
    for (const s of secrets) out = out.split(s).join(MASK);
    return out;
  }
}

/** Redaction with only the key-based rules, for places with no registry at hand. */
export function redactKnownKeys(text: string): string {
  return text.replace(SECRET_KEY_PATTERN, (_m, key: string, sep: string) => `${key}${sep}${MASK}`);
}
