/**
 * What the connection layer needs to reach an environment's state servers.
 * The environments service resolves any environment (sandbox, `.jenv`,
 * manual) into one of these; the connection layer never looks at where it
 * came from.
 */

export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface StateServerTarget {
  /** The address Juju records for the machine (a `.jenv` state-server host, or the sandbox's 10.23.0.x). */
  readonly address: string;
  /** Where SSH actually connects for that address. */
  readonly ssh: SshEndpoint;
}

export interface ConnectionTarget {
  readonly environmentId: string;
  readonly name: string;
  readonly kind: 'sandbox' | 'juju' | 'manual';
  readonly sshUser: string;
  /** Private key file for SSH (Juju's `ssh/juju_id_rsa`, the sandbox's key, or the manual one). */
  readonly keyFile: string;
  /** State servers to try, machine 0's first when known. */
  readonly stateServers: readonly StateServerTarget[];
  /**
   * Maps a machine address recorded in Juju's database to the SSH endpoint
   * that reaches it: identity on port `sshPort` for real environments; the
   * sandbox maps its 10.23.0.x addresses to 127.0.0.1 ports.
   */
  sshEndpointFor(address: string): SshEndpoint;
  /** CA certificate from the `.jenv` (`ca-cert`), when known; agent.conf's `cacert` is used otherwise. */
  readonly caCertPem: string | null;
  /**
   * Host-key fingerprints (OpenSSH `SHA256:…`) vouched for out of band, by
   * address. The sandbox reports its own hosts' keys, so Quorum can trust
   * them on first sight without asking; a key that differs from the one
   * already in known_hosts is still refused.
   */
  readonly vouchedHostKeys: ReadonlyMap<string, string>;
}
