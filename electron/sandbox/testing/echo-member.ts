import type { Duplex } from 'node:stream';
import type { JujuDbMember, JujuDbMemberStatus } from '../juju-db/api';

/**
 * A stand-in juju-db member for tests of the SSH hosts alone: it answers
 * every forwarded connection by echoing, so a test can tell the tunnel
 * reached it without the wire protocol.
 */
export class EchoMember implements JujuDbMember {
  status: JujuDbMemberStatus = 'running';
  readonly port = 0;
  accepted = 0;

  constructor(
    readonly machineId: string,
    readonly host: string,
  ) {}

  acceptStream(stream: Duplex): void {
    if (this.status !== 'running') {
      stream.end();
      return;
    }
    this.accepted += 1;
    stream.on('error', () => undefined);
    stream.pipe(stream);
  }
}
