import path from 'node:path';
import YAML from 'yaml';
import { writePrivateFile } from '../keys';
import { AGENT_VERSION, API_PORT, STATE_PORT, type EnvironmentRecord } from '../model';

/**
 * The sandbox's `.jenv`, as `juju bootstrap` leaves one in
 * `~/.juju/environments/<env>.jenv` (environs/configstore `EnvironInfoData`,
 * goyaml v1; electron/services/juju-api/PROTOCOL.md §8): the admin user and
 * password the API takes, the environment UUID, the API endpoints
 * (`state-servers`: each state server's cloud address with port 17070, as
 * the Login `servers` / published API host ports give them), the CA, and
 * the bootstrap config. The sandbox's machines are reached over SSH on
 * 127.0.0.1:<port>; that mapping stays in the sandbox description
 * (`machines[].address` → `machines[].ssh`), where the console's sandbox
 * target takes it. Mode 0600: the password and admin-secret are secrets.
 */

export function jenvFile(sandboxDir: string, envName: string): string {
  return path.join(sandboxDir, 'environments', `${envName}.jenv`);
}

export interface JenvContent {
  readonly env: Pick<EnvironmentRecord, 'name' | 'uuid' | 'series'>;
  readonly caCertPem: string;
  /** The admin user's API password (also the bootstrap `admin-secret`, as after `juju bootstrap`). */
  readonly password: string;
  /** `host:port` API endpoints. */
  readonly stateServers: readonly string[];
}

/** Keys in `EnvironInfoData`'s field order; `bootstrap-config` keys sorted, as goyaml writes a map. */
export function renderJenv(c: JenvContent): string {
  const bootstrapConfig: Record<string, unknown> = {
    'admin-secret': c.password,
    'agent-version': AGENT_VERSION,
    'api-port': API_PORT,
    'ca-cert': c.caCertPem,
    'default-series': c.env.series,
    name: c.env.name,
    'state-port': STATE_PORT,
    type: 'sandbox',
    uuid: c.env.uuid,
  };
  const doc = {
    user: 'admin',
    password: c.password,
    'environ-uuid': c.env.uuid,
    'server-uuid': c.env.uuid,
    'state-servers': [...c.stateServers],
    'ca-cert': c.caCertPem,
    'bootstrap-config': bootstrapConfig,
  };
  return new YAML.Document(doc).toString({ indentSeq: false, lineWidth: 0, blockQuote: 'literal' });
}

/** Writes the file (0600, in a 0700 folder) when its content changed; returns whether it wrote. */
export class JenvWriter {
  #last = '';
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  write(content: JenvContent): Promise<boolean> {
    const text = renderJenv(content);
    const run = async () => {
      if (text === this.#last) return false;
      await writePrivateFile(this.file, text);
      this.#last = text;
      return true;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
