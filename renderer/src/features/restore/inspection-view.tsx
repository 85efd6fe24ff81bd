import type { RestoreInspectResult } from '../../../../shared/ipc/channels/restore';
import { useAppStore } from '../../store/store-context';
import { ErrorMessage } from '../../components/error-message';
import { useRetry } from '../../components/retry-button';
import { InspectionContents } from './inspection-contents';
import { formatBytes, formatUtc } from './format';

/**
 * The offline inspection, before anything is touched: the gzip and tar
 * integrity and Juju's layout, the SHA-1 against the library's or the
 * server's record, metadata.json's 12 keys, root.tar, the dump and the
 * oplog, and the verdict: which restore path Juju's rules allow, or why not.
 */
export function InspectionView() {
  const archive = useAppStore((s) => s.restore.archive);
  const inspection = useAppStore((s) => s.restore.inspection);
  const error = useAppStore((s) => s.restore.inspectError);
  const operation = useAppStore((s) => (s.restore.inspectOperationId === null ? undefined : s.operations.byId[s.restore.inspectOperationId]));
  const retry = useRetry(useAppStore((s) => s.retryRestoreInspect));
  if (archive === null) return null;

  if (error !== null) {
    return (
      <section className="restore-inspection" aria-labelledby="inspection-title">
        <h2 id="inspection-title">Inspection</h2>
        <ErrorMessage error={error} title={error.code === 'cancelled' ? 'The inspection was cancelled' : 'This archive is refused; nothing was touched'} {...retry} retryLabel="Retry inspect" />
        {archive.staged ? (
          <p className="muted">Retry inspect reads the copy Quorum received again. To inspect a corrected file, drop or choose that file instead.</p>
        ) : null}
      </section>
    );
  }
  if (inspection === null) {
    return (
      <section className="restore-inspection" aria-labelledby="inspection-title">
        <h2 id="inspection-title">Inspection</h2>
        <p className="status-line" role="status">
          {operation?.progress.message ?? 'Inspecting the archive…'}
        </p>
        {operation?.progress.fraction !== undefined ? <progress aria-label="Inspection progress" max={1} value={operation.progress.fraction} /> : null}
      </section>
    );
  }
  return (
    <section className="restore-inspection" aria-labelledby="inspection-title">
      <h2 id="inspection-title">Inspection</h2>
      <Verdict result={inspection} />
      <Integrity result={inspection} />
      <Metadata result={inspection} />
      <InspectionContents inspection={inspection.inspection} />
    </section>
  );
}

function Verdict({ result }: { result: RestoreInspectResult }) {
  const v = result.verdict;
  const version = v.version?.text ?? result.inspection.metadata?.version ?? 'unknown';
  return (
    <div className={v.allowed ? 'notice notice-success' : 'notice notice-error'} role={v.allowed ? 'status' : 'alert'} aria-label="Verdict">
      <p className="notice-title">
        {v.allowed
          ? `Restorable: Juju ${version} restores this ${v.path === 'oplog-replay' ? 'with --oplogReplay' : 'without oplog replay'}`
          : 'Juju will not restore this backup'}
      </p>
      <p>{v.reason}</p>
      {v.jujuError ? <p>Juju says: {v.jujuError}</p> : null}
      {v.mongorestoreArgs !== null ? (
        <p>
          mongorestore <code>{v.mongorestoreArgs.join(' ')}</code>
        </p>
      ) : null}
      {v.warnings.length > 0 ? (
        <ul aria-label="Verdict warnings">
          {v.warnings.map((w) => (
            <li key={w.code}>{w.message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

const CHECKSUM_SOURCE = { library: "the library's record", server: "the state server's record", archive: "the archive's own metadata" } as const;

function Integrity({ result }: { result: RestoreInspectResult }) {
  const { inspection, checksum } = result;
  const { layout, gzip } = inspection;
  const members = [layout.metadataJson ? 'metadata.json' : null, layout.rootTar ? 'root.tar' : null, layout.dump ? 'dump/' : null].filter((m) => m !== null);
  const source = checksum.source === null ? null : CHECKSUM_SOURCE[checksum.source];
  return (
    <dl className="restore-facts" aria-label="Integrity">
      <dt>File</dt>
      <dd>
        <span className="mono">{inspection.fileName}</span>, {formatBytes(inspection.size)}
      </dd>
      <dt>gzip</dt>
      <dd>intact: CRC and length check out, {formatBytes(gzip.compressedBytes)} → {formatBytes(gzip.uncompressedBytes)}</dd>
      <dt>tar</dt>
      <dd>
        intact, Juju&apos;s layout under juju-backup/: {members.join(', ') || 'none of its members'}
        {layout.metadataJson ? '' : ' (no metadata.json)'}
        {layout.otherMembers.length > 0 ? `; also ${layout.otherMembers.join(', ')}` : ''}
      </dd>
      <dt>SHA-1</dt>
      <dd>
        <span className="mono">{inspection.checksum}</span>{' '}
        <span className={`badge checksum-${checksum.state}`}>{checksum.state}</span>{' '}
        {checksum.state === 'verified' && source !== null ? `matches ${source}` : null}
        {checksum.state === 'mismatch' ? `differs from ${source ?? 'the record'} (${checksum.expected ?? 'unknown'})` : null}
        {checksum.state === 'unverified' ? 'no record in the library or on the server to check it against' : null}
      </dd>
    </dl>
  );
}

const METADATA_KEYS = [
  ['id', 'ID'],
  ['checksum', 'Checksum'],
  ['checksumFormat', 'Checksum format'],
  ['size', 'Size'],
  ['stored', 'Stored'],
  ['started', 'Started'],
  ['finished', 'Finished'],
  ['notes', 'Notes'],
  ['environment', 'Environment'],
  ['machine', 'Machine'],
  ['hostname', 'Hostname'],
  ['version', 'Version'],
] as const;

function Metadata({ result }: { result: RestoreInspectResult }) {
  const m = result.inspection.metadata;
  if (m === null) {
    return (
      <p className="notice" role="note">
        The archive has no metadata.json (a backup older than Juju 1.21): no environment, machine or version is recorded.
      </p>
    );
  }
  const value = (key: (typeof METADATA_KEYS)[number][0]): string => {
    const v = m[key];
    if (key === 'started' || key === 'finished' || key === 'stored') return v === null ? '(not set)' : `${String(v)} (${formatUtc(v as string)})`;
    if (v === '' || v === null) return '(empty)';
    return String(v);
  };
  return (
    <div className="restore-metadata">
      <p className="restore-origin">
        From environment <span className="mono">{m.environment || 'unknown'}</span>, machine {m.machine || '?'}
        {m.hostname ? ` (${m.hostname})` : ''}, Juju {m.version || 'unknown'}, started {formatUtc(m.started)}
        {m.notes ? `, notes: “${m.notes}”` : ', no notes'}.
      </p>
      <dl className="restore-facts" aria-label="metadata.json">
        {METADATA_KEYS.map(([key, label]) => (
          <div key={key} className="restore-fact">
            <dt>{label}</dt>
            <dd className={key === 'checksum' || key === 'environment' || key === 'id' ? 'mono' : undefined}>{value(key)}</dd>
          </div>
        ))}
      </dl>
      {result.inspection.metadataExtraKeys.length > 0 ? (
        <p className="muted">Keys Juju does not write, ignored: {result.inspection.metadataExtraKeys.join(', ')}</p>
      ) : null}
    </div>
  );
}
