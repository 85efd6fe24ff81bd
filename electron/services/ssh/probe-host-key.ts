import ssh2 from 'ssh2';
import { QuorumError } from '../../../shared/errors';
import { describeHostKey, type PresentedHostKey } from './host-key-check';

/**
 * Asks an SSH server for its host key and hangs up before authenticating.
 * Used when the operator confirms a fingerprint: Quorum trusts only the key
 * the host presents at that moment, never key material from the renderer.
 */
export function probeHostKey(host: string, port: number, timeoutMs = 10_000): Promise<PresentedHostKey> {
  return new Promise<PresentedHostKey>((resolve, reject) => {
    const client = new ssh2.Client();
    let presented: PresentedHostKey | undefined;
    const done = (): void => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end();
      client.destroy();
      if (presented) resolve(presented);
      else {
        reject(
          new QuorumError('host-unreachable', `Could not read the SSH host key of ${host}:${port}. Check the machine is running and reachable, then retry.`, {
            details: { host, port },
          }),
        );
      }
    };
    client.on('error', done);
    client.on('close', done);
    client.connect({
      host,
      port,
      username: 'quorum-probe',
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        try {
          presented = describeHostKey(key);
        } catch {
          presented = undefined;
        }
        verify(false);
      },
    });
  });
}
