import { useMemo, useState } from 'react';
import type { SerializedError } from '../../../../shared/errors';
import type { ConnectionStatus } from '../../../../shared/ipc/channels/connection';
import { ModalDialog } from '../../components/modal-dialog';
import { useAppStore } from '../../store/store-context';
import { selectConnections, selectTopologySnapshot } from './selectors';

/**
 * Host-key decisions only the operator can make. An unknown key opens a
 * dialog with its fingerprint (Trust / Cancel); a changed key is shown with
 * both fingerprints and no way to trust it from here — that must be a
 * deliberate edit of known_hosts after checking the machine.
 */

export interface HostKeyProblem {
  readonly kind: 'unknown' | 'changed';
  readonly key: string;
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly fingerprint: string;
  readonly keyType: string;
  readonly knownFingerprint: string | null;
  readonly message: string;
}

export function hostKeyProblem(error: SerializedError | null | undefined, fallbackAddress: string): HostKeyProblem | null {
  if (!error || (error.code !== 'host-key-unknown' && error.code !== 'host-key-changed')) return null;
  const d = error.details ?? {};
  const host = typeof d['host'] === 'string' ? d['host'] : fallbackAddress;
  const port = typeof d['port'] === 'number' ? d['port'] : 22;
  const fingerprint = typeof d['fingerprint'] === 'string' ? d['fingerprint'] : '';
  return {
    kind: error.code === 'host-key-unknown' ? 'unknown' : 'changed',
    key: `${host}:${port} ${fingerprint}`,
    address: typeof d['address'] === 'string' ? d['address'] : fallbackAddress,
    host,
    port,
    fingerprint,
    keyType: typeof d['keyType'] === 'string' ? d['keyType'] : 'host',
    knownFingerprint: typeof d['knownFingerprint'] === 'string' ? d['knownFingerprint'] : null,
    message: error.message,
  };
}

/** Every host-key problem of the selected environment, once each. */
export function hostKeyProblems(connections: ConnectionStatus | null, topologyError: SerializedError | null): HostKeyProblem[] {
  const found = new Map<string, HostKeyProblem>();
  for (const server of connections?.stateServers ?? []) {
    const p = hostKeyProblem(server.error, server.address);
    if (p !== null) found.set(p.key, p);
  }
  const p = hostKeyProblem(topologyError, '');
  if (p !== null && !found.has(p.key)) found.set(p.key, p);
  return [...found.values()];
}

export function HostKeyProblems() {
  const connections = useAppStore(selectConnections);
  const topologyError = useAppStore((s) => selectTopologySnapshot(s).error);
  const problems = useMemo(() => hostKeyProblems(connections, topologyError), [connections, topologyError]);
  const dismissed = useAppStore((s) => s.topology.dismissedHostKeys);
  const dismiss = useAppStore((s) => s.dismissHostKey);
  const trust = useAppStore((s) => s.trustHostKey);
  const [reviewing, setReviewing] = useState<string | null>(null);
  const [trusted, setTrusted] = useState<readonly string[]>([]);
  if (problems.length === 0) return null;

  const open =
    problems.find((p) => p.kind === 'unknown' && p.key === reviewing) ??
    problems.find((p) => p.kind === 'unknown' && !dismissed.includes(p.key) && !trusted.includes(p.key)) ??
    null;

  return (
    <div className="host-key-problems">
      {problems.map((p) =>
        p.kind === 'changed' ? (
          <section key={p.key} className="notice notice-error" role="alert" aria-label={`Host key changed for ${p.address}`}>
            <p className="notice-title">Host key changed for {p.address} — connection refused</p>
            <p>{p.message}</p>
            <dl className="fingerprints">
              <dt>Known fingerprint</dt>
              <dd>
                <code>{p.knownFingerprint ?? 'unknown'}</code>
              </dd>
              <dt>Presented fingerprint</dt>
              <dd>
                <code>{p.fingerprint}</code>
              </dd>
            </dl>
          </section>
        ) : (
          <section key={p.key} className="notice" aria-label={`Unknown host key for ${p.address}`}>
            <p className="notice-title">Quorum has not seen the host key of {p.address} before.</p>
            <button type="button" className="button" onClick={() => setReviewing(p.key)}>
              Review host key of {p.address}
            </button>
          </section>
        ),
      )}
      {open !== null ? (
        <ModalDialog
          title={`Trust the host key of ${open.address}?`}
          onClose={() => {
            setReviewing(null);
            dismiss(open.key);
          }}
        >
          <p>
            {open.host}:{open.port} presents this {open.keyType} key. Trust it only if it matches the key on the machine.
          </p>
          <dl className="fingerprints">
            <dt>Fingerprint</dt>
            <dd>
              <code>{open.fingerprint}</code>
            </dd>
          </dl>
          <p className="muted">On the machine: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</p>
          <div className="form-actions">
            <button
              type="button"
              className="button"
              onClick={() => {
                setReviewing(null);
                dismiss(open.key);
              }}
            >
              Cancel
            </button>
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setReviewing(null);
                setTrusted((t) => [...t, open.key]);
                void trust(open.host, open.port, open.fingerprint);
              }}
            >
              Trust
            </button>
          </div>
        </ModalDialog>
      ) : null}
    </div>
  );
}
