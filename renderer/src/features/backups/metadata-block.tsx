import { formatMetadataBlock, type BackupMetadata } from '../../../../shared/backups/metadata';

/** The metadata exactly as `juju backups create` prints it. */
export function MetadataBlock({ metadata, label = 'Backup metadata' }: { metadata: BackupMetadata; label?: string }) {
  return (
    <pre className="metadata-block" aria-label={label} tabIndex={0}>
      {formatMetadataBlock(metadata)}
    </pre>
  );
}
