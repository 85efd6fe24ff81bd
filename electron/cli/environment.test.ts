import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Environment } from '../../shared/ipc/channels/environments';
import { chooseEnvironment, findEnvironment } from './environment';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-cli-env-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const jujuHome = () => path.join(dir, 'juju');
async function withJenv(...names: string[]) {
  await mkdir(path.join(jujuHome(), 'environments'), { recursive: true });
  for (const n of names) await writeFile(path.join(jujuHome(), 'environments', `${n}.jenv`), 'state-servers: ["10.0.0.1:17070"]\n');
}

describe('chooseEnvironment (Juju 1.x precedence)', () => {
  it('-e wins over JUJU_ENV, which wins over current-environment', async () => {
    await withJenv('prod', 'staging');
    await writeFile(path.join(jujuHome(), 'current-environment'), 'staging\n');
    const env = { JUJU_HOME: jujuHome(), JUJU_ENV: 'prod' };
    expect(await chooseEnvironment({ flag: 'sandbox', env, homedir: dir })).toEqual({ name: 'sandbox', from: '-e' });
    expect(await chooseEnvironment({ flag: undefined, env, homedir: dir })).toEqual({ name: 'prod', from: 'JUJU_ENV' });
    expect(await chooseEnvironment({ flag: undefined, env: { JUJU_HOME: jujuHome() }, homedir: dir })).toEqual({ name: 'staging', from: 'current-environment' });
  });

  it("says Juju's 'no environment specified' when Juju is configured but nothing is chosen", async () => {
    await withJenv('prod');
    await expect(chooseEnvironment({ flag: undefined, env: { JUJU_HOME: jujuHome() }, homedir: dir })).rejects.toThrow(/^no environment specified/);
  });

  it('uses the sandbox when there is no Juju configuration at all (~/.juju absent)', async () => {
    expect(await chooseEnvironment({ flag: undefined, env: {}, homedir: dir })).toEqual({ name: 'sandbox', from: 'no Juju configuration' });
  });
});

describe('findEnvironment', () => {
  const env = (over: Partial<Environment>): Environment => ({
    id: 'x',
    name: 'x',
    kind: 'juju',
    source: null,
    stateServers: [],
    sshUser: 'ubuntu',
    sshPort: 22,
    keyFile: null,
    environUuid: null,
    current: false,
    error: null,
    ...over,
  });
  const list = [
    env({ id: 'sandbox', name: 'sandbox', kind: 'sandbox' }),
    env({ id: 'juju:prod', name: 'prod' }),
    env({ id: 'manual:lab', name: 'lab', kind: 'manual' }),
    env({ id: 'juju:broken', name: 'broken', error: { code: 'environment-invalid', message: 'broken.jenv: is not valid YAML. Fix or remove the file.' } }),
  ];

  it('maps names to ids: sandbox, .jenv names, hand-added names, and ids', () => {
    expect(findEnvironment('sandbox', list).id).toBe('sandbox');
    expect(findEnvironment('prod', list).id).toBe('juju:prod');
    expect(findEnvironment('lab', list).id).toBe('manual:lab');
    expect(findEnvironment('manual:lab', list).id).toBe('manual:lab');
  });

  it("fails in Juju's words for an unknown name, and with the file's problem for a broken one", () => {
    expect(() => findEnvironment('nope', list)).toThrow('environment "nope" not found');
    expect(() => findEnvironment('broken', list)).toThrow('broken.jenv: is not valid YAML');
  });
});
