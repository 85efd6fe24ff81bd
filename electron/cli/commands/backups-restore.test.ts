import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../context';
import { CommandError } from '../errors';
import { backupsRestore } from './backups-restore';

const options = { environment: undefined, file: 'b.tar.gz', id: undefined, bootstrap: true, to: undefined, sshPort: undefined, confirmEnvironment: undefined, allowOtherEnvironment: false };

function context(environmentId: string): CommandContext & { started: boolean } {
  const ctx = {
    started: false,
    io: { stdout: { write: () => true }, stderr: { write: () => true }, stderrIsTty: false, cwd: '/work', env: {} },
    environmentId: async () => environmentId,
    services: () => {
      ctx.started = true;
      throw new Error('no services in this test');
    },
  };
  return ctx;
}

describe('backups restore outside the sandbox', () => {
  it('asks for the host the operator bootstrapped (Quorum makes no cloud instance), before connecting to anything', async () => {
    const ctx = context('prod');
    const error = await backupsRestore.run(ctx, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as Error).message).toBe(
      "Quorum does not create cloud instances: bootstrap the replacement state server with the backup's Juju version, then name it with --to ADDRESS (and --ssh-port if not 22)",
    );
    expect(ctx.started).toBe(false);
  });

  it('goes on to the checks with --to', async () => {
    const ctx = context('prod');
    await expect(backupsRestore.run(ctx, { ...options, to: '10.0.0.5' })).rejects.toThrow('no services in this test');
    expect(ctx.started).toBe(true);
  });
});
