import { assertNever, QuorumError } from '../../../shared/errors';
import { fingerprintOf, keyTypeOf } from './known-hosts';
import type { KnownHostsStore } from './known-hosts-store';
import { describePeer, type SshPeer } from './ssh-errors';

/**
 * The host-key policy, as OpenSSH's `StrictHostKeyChecking=ask` with one
 * addition: a key vouched for out of band (the sandbox reports its hosts'
 * fingerprints) is trusted on first sight. A known key passes; a changed or
 * revoked key is refused with both fingerprints; an unknown key is refused
 * with `host-key-unknown`, whose details let the UI ask the operator.
 */

export interface PresentedHostKey {
  readonly key: Buffer;
  readonly keyType: string;
  readonly fingerprint: string;
}

export function describeHostKey(key: Buffer): PresentedHostKey {
  return { key, keyType: keyTypeOf(key), fingerprint: fingerprintOf(key) };
}

/** Resolves when the key may be used; rejects with the QuorumError to show otherwise. */
export async function verifyHostKey(
  store: KnownHostsStore,
  peer: SshPeer,
  presented: PresentedHostKey,
  vouchedFingerprint: string | null,
): Promise<void> {
  const verdict = await store.check(peer.host, peer.port, presented.key);
  const where = describePeer(peer);
  const base = {
    address: peer.address,
    host: peer.host,
    port: peer.port,
    fingerprint: presented.fingerprint,
    keyType: presented.keyType,
    knownHostsFile: store.file,
  };
  switch (verdict.kind) {
    case 'known':
      return;
    case 'revoked':
      throw new QuorumError(
        'host-key-changed',
        `${where} presents the ${presented.keyType} host key ${presented.fingerprint}, which ${store.file} marks as revoked (line ${verdict.entry.line}). Do not connect: the machine's key was withdrawn on purpose.`,
        { details: { ...base, line: verdict.entry.line } },
      );
    case 'changed':
      throw new QuorumError(
        'host-key-changed',
        `The SSH host key of ${where} has changed: Quorum knows ${verdict.knownFingerprint} but the machine now presents ${presented.fingerprint} (${presented.keyType}). ` +
          `If the machine was rebuilt, remove its entry from ${store.file} (line ${verdict.entry.line}) and connect again; otherwise do not connect: someone may be intercepting the connection.`,
        { details: { ...base, knownFingerprint: verdict.knownFingerprint, line: verdict.entry.line } },
      );
    case 'unknown': {
      if (vouchedFingerprint !== null && vouchedFingerprint === presented.fingerprint) {
        const added = await store.add(peer.host, peer.port, presented.key);
        // A concurrent writer may have recorded another key meanwhile: decide again.
        if (added.kind !== 'unknown') return verifyHostKey(store, peer, presented, null);
        return;
      }
      const others = verdict.otherKeyTypes.length > 0 ? ` Keys of other types (${verdict.otherKeyTypes.join(', ')}) are known for it.` : '';
      const mismatch =
        vouchedFingerprint !== null ? ` It is not the key the environment vouches for (${vouchedFingerprint}); check before trusting it.` : '';
      throw new QuorumError(
        'host-key-unknown',
        `Quorum has not seen ${where} before. Its ${presented.keyType} host key fingerprint is ${presented.fingerprint}.${others}${mismatch} ` +
          `Trust it only if it matches the machine's key (ssh-keygen -lf /etc/ssh/ssh_host_${hostKeyFileStem(presented.keyType)}_key.pub on the machine).`,
        { details: { ...base, vouchedFingerprint, otherKeyTypes: verdict.otherKeyTypes.join(',') || null } },
      );
    }
    default:
      return assertNever(verdict, 'host-key verdict');
  }
}

function hostKeyFileStem(keyType: string): string {
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  return keyType.replace(/^ssh-/, '');
}
