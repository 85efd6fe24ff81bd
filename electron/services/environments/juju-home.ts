import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Environment } from '../../../shared/ipc/channels/environments';

/**
 * Discovery of Juju 1.x client configuration, read the way Juju reads it:
 * `$JUJU_HOME` (else `~/.juju`), `environments/<name>.jenv`, the SSH key
 * `ssh/juju_id_rsa`, and the current environment (`$JUJU_ENV`, else the
 * `current-environment` file). Passwords in a `.jenv` are parsed and
 * dropped on the spot; only addresses, user, UUID and the CA certificate
 * are kept.
 */

export interface JujuDiscovery {
  readonly jujuHome: string;
  /** Name Juju would use, and where that choice came from. */
  readonly current: { readonly name: string; readonly from: 'JUJU_ENV' | 'current-environment' | 'environments.yaml' } | null;
  readonly environments: readonly JujuEnvironment[];
}

/** An environment from a `.jenv`: the public listing, plus the CA for connecting. */
export interface JujuEnvironment {
  readonly environment: Environment;
  readonly caCertPem: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `$JUJU_HOME` (with `~` expanded) else `~/.juju`. */
export function resolveJujuHome(env: Env, homedir: string): string {
  const explicit = env.JUJU_HOME?.trim();
  if (explicit) return path.resolve(expandHome(explicit, homedir));
  return path.join(homedir, '.juju');
}

export function expandHome(p: string, homedir: string): string {
  if (p === '~') return homedir;
  if (p.startsWith('~/')) return path.join(homedir, p.slice(2));
  return p;
}

const jenvSchema = z.object({
  user: z.string({ error: '"user" must be a string' }).optional(),
  'environ-uuid': z.string({ error: '"environ-uuid" must be a string' }).optional(),
  'state-servers': z
    .array(z.string({ error: '"state-servers" entries must be "host:port" strings' }), {
      error: (issue) => (issue.input === undefined ? 'it has no "state-servers" list' : '"state-servers" must be a list of "host:port" addresses'),
    })
    .min(1, '"state-servers" is empty'),
  'server-hostnames': z.array(z.string()).optional(),
  'ca-cert': z.string({ error: '"ca-cert" must be a PEM string' }).optional(),
});

/** Splits `host:port`, `[v6]:port`, bare v6 or bare host into its host part. */
export function hostOf(address: string): string {
  const a = address.trim();
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    return end > 0 ? a.slice(1, end) : a;
  }
  const colons = a.split(':').length - 1;
  if (colons === 1) return a.slice(0, a.indexOf(':'));
  return a;
}

/** The port of `host:port` / `[v6]:port`, or null. */
export function portOf(address: string): number | null {
  const a = address.trim();
  const m = a.startsWith('[') ? /^\[[^\]]+\]:(\d{1,5})$/.exec(a) : a.split(':').length === 2 ? /:(\d{1,5})$/.exec(a) : null;
  if (m === null) return null;
  const n = Number(m[1]);
  return n >= 1 && n <= 65535 ? n : null;
}

/**
 * Juju 1.x's order: `$JUJU_ENV`, then the `current-environment` file, then
 * the `default:` key of `environments.yaml` (whose other contents, secrets
 * included, are ignored).
 */
async function readCurrent(jujuHome: string, env: Env): Promise<JujuDiscovery['current']> {
  const fromEnv = env.JUJU_ENV?.trim();
  if (fromEnv) return { name: fromEnv, from: 'JUJU_ENV' };
  try {
    const text = (await readFile(path.join(jujuHome, 'current-environment'), 'utf8')).trim();
    if (text) return { name: text, from: 'current-environment' };
  } catch {
    // no file: fall through
  }
  try {
    const doc: unknown = parseYaml(await readFile(path.join(jujuHome, 'environments.yaml'), 'utf8'), { maxAliasCount: 50 });
    const name = typeof doc === 'object' && doc !== null ? (doc as { default?: unknown }).default : undefined;
    if (typeof name === 'string' && name.trim()) return { name: name.trim(), from: 'environments.yaml' };
  } catch {
    // missing or unreadable: no default
  }
  return null;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function discoverJujuEnvironments(options: { readonly env: Env; readonly homedir: string }): Promise<JujuDiscovery> {
  const jujuHome = resolveJujuHome(options.env, options.homedir);
  const current = await readCurrent(jujuHome, options.env);
  const dir = path.join(jujuHome, 'environments');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jenv') && n.length > 5).sort();
  } catch {
    return { jujuHome, current, environments: [] };
  }
  const keyPath = path.join(jujuHome, 'ssh', 'juju_id_rsa');
  const keyFile = (await isFile(keyPath)) ? keyPath : null;
  const environments = await Promise.all(
    names.map((file) => readJenv(path.join(dir, file), file.slice(0, -'.jenv'.length), keyFile, current?.name ?? null)),
  );
  return { jujuHome, current, environments };
}

async function readJenv(file: string, name: string, keyFile: string | null, currentName: string | null): Promise<JujuEnvironment> {
  const base: Environment = {
    id: `juju:${name}`.slice(0, 80),
    name,
    kind: 'juju',
    source: file,
    stateServers: [],
    sshUser: 'ubuntu',
    sshPort: 22,
    keyFile,
    environUuid: null,
    current: name === currentName,
    error: null,
  };
  const invalid = (what: string): JujuEnvironment => ({
    environment: {
      ...base,
      error: { code: 'environment-invalid', message: `${path.basename(file)}: ${what}. Fix or remove the file.` },
    },
    caCertPem: null,
  });
  if (`juju:${name}`.length > 80) return invalid('the environment name is too long');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return invalid(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'I/O error'})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 50 });
  } catch (error) {
    const line = (error as { linePos?: [{ line: number }] }).linePos?.[0]?.line;
    return invalid(`is not valid YAML${line === undefined ? '' : ` (line ${line})`}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid('is not a YAML mapping');
  const parsed = jenvSchema.safeParse(doc);
  // `doc` (with `password` and `bootstrap-config` secrets) goes out of scope here.
  if (!parsed.success) return invalid(parsed.error.issues[0]?.message ?? 'has an unexpected shape');
  const stateServers = [...new Set(parsed.data['state-servers'].map((s) => s.trim()).filter((s) => s.length > 0))];
  if (stateServers.length === 0) return invalid('"state-servers" is empty');
  return {
    environment: { ...base, stateServers, environUuid: parsed.data['environ-uuid'] ?? null },
    caCertPem: parsed.data['ca-cert'] ?? null,
  };
}
