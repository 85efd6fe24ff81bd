/**
 * The two text edits restore makes to agents' files, as Juju 1.25's restore
 * scripts make them with sed (reference §2.2 step 6, §2.3): only the
 * **first** list item under `stateaddresses:` / `apiaddresses:` gets the new
 * host (its `:port` is kept, extra HA addresses further down are left
 * alone), and every `change-version: N` of a unit's relation state becomes
 * 0 so relation hooks fire again. Line-based on purpose: the rest of
 * agent.conf (passwords, `cacert`, `nonce`, key order) must come out byte
 * for byte as it went in, which a YAML round trip would not guarantee.
 * Pure TypeScript.
 */

export type AddressKey = 'stateaddresses' | 'apiaddresses';

export interface AddressRewrite {
  readonly text: string;
  /** Per key: the entry before and after, or null when the file has no such list. */
  readonly changed: Readonly<Record<AddressKey, { readonly from: string; readonly to: string } | null>>;
}

/** `host:port` with a new host; IPv6 hosts are bracketed (`[::1]:17070`). */
export function replaceHost(hostPort: string, host: string): string {
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0) throw new RangeError(`not a host:port address: ${JSON.stringify(hostPort)}`);
  const port = hostPort.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port)) throw new RangeError(`not a host:port address: ${JSON.stringify(hostPort)}`);
  const bare = host.replace(/^\[|\]$/g, '');
  return `${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

const ITEM = /^(\s*-\s+)(['"]?)([^'"\s]+)\2(\s*)$/;

/** Rewrites the first `host:port` under each of `keys`; the rest of the text is untouched. */
export function rewriteAgentConfAddresses(text: string, host: string, keys: readonly AddressKey[] = ['stateaddresses', 'apiaddresses']): AddressRewrite {
  const lines = text.split('\n');
  const changed: Record<AddressKey, { from: string; to: string } | null> = { stateaddresses: null, apiaddresses: null };
  for (let i = 0; i < lines.length; i++) {
    const key = /^(stateaddresses|apiaddresses):\s*$/.exec(lines[i]!)?.[1] as AddressKey | undefined;
    if (!key || !keys.includes(key)) continue;
    const next = lines[i + 1];
    const m = next === undefined ? null : ITEM.exec(next);
    if (!m) continue;
    const to = replaceHost(m[3]!, host);
    changed[key] = { from: m[3]!, to };
    lines[i + 1] = `${m[1]}${m[2]}${to}${m[2]}${m[4]}`;
  }
  return { text: lines.join('\n'), changed };
}

/** `change-version: N` → `change-version: 0` (a unit's `state/relations/<id>/<unit>` file); counts the lines changed. */
export function resetChangeVersions(text: string): { readonly text: string; readonly reset: number } {
  let reset = 0;
  const out = text.replace(/^(change-version:\s*)(\d+)\s*$/gm, (line, prefix: string, n: string) => {
    if (n === '0') return line;
    reset++;
    return `${prefix}0`;
  });
  return { text: out, reset };
}

/** Agent directory name → its upstart job (`machine-1` → `jujud-machine-1`, `unit-mysql-0` → `jujud-unit-mysql-0`). */
export function agentService(agent: string): `jujud-machine-${number}` | `jujud-unit-${string}` | null {
  if (/^machine-\d+$/.test(agent)) return `jujud-${agent}` as `jujud-machine-${number}`;
  if (/^unit-[a-z][a-z0-9-]*-\d+$/.test(agent)) return `jujud-${agent}` as `jujud-unit-${string}`;
  return null;
}
