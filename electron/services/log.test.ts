import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../shared/redact';
import { createLogger, LOG_ROTATE_BYTES } from './log';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'quorum-log-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('logger', () => {
  it('writes redacted lines at or above its level to QUORUM_HOME/logs/quorum.log (0600)', async () => {
    const secrets = new SecretRegistry();
    secrets.add('s3cret-passphrase');
    const log = createLogger({ secrets, home, stderr: false, level: 'info' });
    log.debug('hidden detail');
    log.child('ssh').warn('key s3cret-passphrase refused', { apipassword: 'abc' });
    log.error('statepassword: hunter22 leaked');
    await log.close();
    const file = path.join(home, 'logs', 'quorum.log');
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('hidden detail');
    expect(text).toMatch(/WARN +\[ssh\] key \[redacted\] refused/);
    expect(text).toContain('statepassword: [redacted]');
    expect(text).not.toContain('hunter22');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('moves a log over the size limit aside at start-up', async () => {
    await mkdir(path.join(home, 'logs'));
    await writeFile(path.join(home, 'logs', 'quorum.log'), Buffer.alloc(LOG_ROTATE_BYTES + 1, 'a'));
    const log = createLogger({ secrets: new SecretRegistry(), home, stderr: false });
    log.info('fresh');
    await log.close();
    expect((await readFile(path.join(home, 'logs', 'quorum.log'), 'utf8')).trim()).toMatch(/fresh$/);
    expect((await stat(path.join(home, 'logs', 'quorum.log.1'))).size).toBe(LOG_ROTATE_BYTES + 1);
  });
});
