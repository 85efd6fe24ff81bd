import type { RestoreInspectResult } from '../../../../shared/ipc/channels/restore';
import { formatBytes, formatSpan, formatUtc } from './format';

type Inspection = RestoreInspectResult['inspection'];

/** root.tar's files (collapsible), every dumped database and collection with document counts, and the oplog's span. */
export function InspectionContents({ inspection }: { inspection: Inspection }) {
  return (
    <>
      <RootTar rootTar={inspection.rootTar} />
      <Dump dump={inspection.dump} />
      <Oplog oplog={inspection.oplog} />
    </>
  );
}

function RootTar({ rootTar }: { rootTar: Inspection['rootTar'] }) {
  const shown = rootTar.files.length;
  return (
    <details className="restore-roottar">
      <summary>
        root.tar: {rootTar.fileCount} {rootTar.fileCount === 1 ? 'file' : 'files'}, {formatBytes(rootTar.bytes)}
        {rootTar.agentConfs.length > 0 ? ` (agent.conf of ${rootTar.agentConfs.length} ${rootTar.agentConfs.length === 1 ? 'agent' : 'agents'})` : ''}
      </summary>
      <ul aria-label="Files in root.tar" className="restore-file-list">
        {rootTar.files.map((f) => (
          <li key={f.path}>
            <span className="mono">{f.path}</span>
            <span className="muted">
              {f.type === 'File' ? ` ${formatBytes(f.size)}` : ` ${f.type.toLowerCase()}`}
            </span>
          </li>
        ))}
      </ul>
      {rootTar.fileCount > shown ? <p className="muted">The first {shown} of {rootTar.fileCount} are listed (the list stops at {rootTar.listLimit}).</p> : null}
    </details>
  );
}

function Dump({ dump }: { dump: Inspection['dump'] }) {
  return (
    <section className="restore-dump" aria-labelledby="restore-dump-title">
      <h3 id="restore-dump-title">
        Database dump: {dump.databases.length} {dump.databases.length === 1 ? 'database' : 'databases'}, {dump.documents.toLocaleString('en')} documents, {formatBytes(dump.bytes)}
      </h3>
      {dump.databases.length === 0 ? <p className="notice">The dump holds no database.</p> : null}
      {dump.databases.map((db) => (
        <table key={db.name} className="restore-table" aria-label={`Database ${db.name}`}>
          <caption>
            {db.name}: {db.collections.length} collections, {db.documents.toLocaleString('en')} documents, {formatBytes(db.bytes)}
          </caption>
          <thead>
            <tr>
              <th scope="col">Collection</th>
              <th scope="col">Documents</th>
              <th scope="col">Size</th>
              <th scope="col">Indexes</th>
              <th scope="col">Metadata</th>
            </tr>
          </thead>
          <tbody>
            {db.collections.map((c) => (
              <tr key={c.name} aria-label={`${db.name}.${c.name}`}>
                <th scope="row" className="mono">
                  {c.name}
                  {c.capped ? ' (capped)' : ''}
                </th>
                <td>{c.hasBson ? c.documents.toLocaleString('en') : 'no .bson'}</td>
                <td>{formatBytes(c.bytes)}</td>
                <td>{c.indexes}</td>
                <td>{c.metadataFlavour}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

function Oplog({ oplog }: { oplog: Inspection['oplog'] }) {
  if (oplog === null) {
    return (
      <p className="restore-oplog" aria-label="Oplog">
        No oplog.bson in the dump (mongodump ran without --oplog).
      </p>
    );
  }
  const { first, last } = oplog;
  return (
    <p className="restore-oplog" aria-label="Oplog">
      Oplog: {oplog.documents.toLocaleString('en')} {oplog.documents === 1 ? 'entry' : 'entries'}, {formatBytes(oplog.bytes)}
      {first !== null && last !== null
        ? `, from ${formatUtc(first.iso)} to ${formatUtc(last.iso)} (${formatSpan(first.seconds, last.seconds)})`
        : ', no time span (empty, or entries without a Timestamp)'}
      .
    </p>
  );
}
