import type { HaPreview, MapEntry } from '../../../../shared/ipc/channels/ha';
import { changeLabel, survivesText } from './plan-model';

/**
 * Juju's plan for the chosen count, before anything is applied: the report
 * lines exactly as `juju ensure-availability` prints them, the state
 * servers before and right after the call, and the failures each shape
 * survives once every wanted vote is held.
 */
export function PlanPreview({ preview, previewing, applying }: { preview: HaPreview; previewing: boolean; applying: boolean }) {
  return (
    <section className="ha-preview" aria-labelledby="ha-preview-title" aria-busy={previewing || undefined}>
      <h2 id="ha-preview-title">{applying ? 'Plan being applied' : 'Plan'}</h2>
      {preview.error !== null ? (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">Juju would refuse this change</p>
          <p className="ha-juju-words">{preview.error}</p>
          {preview.advice !== null ? <p>{preview.advice}</p> : null}
        </div>
      ) : (
        <ReportLines lines={preview.lines} label="Juju's plan" empty="Nothing to do: the state servers already have this shape (Juju prints nothing)." />
      )}
      {preview.error === null ? <BeforeAfter preview={preview} /> : null}
    </section>
  );
}

/** Juju's `--format simple` lines, one per list, as it prints them. */
export function ReportLines({ lines, label, empty }: { lines: readonly string[]; label: string; empty: string }) {
  if (lines.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="ha-report" aria-label={label}>
      {lines.map((line) => (
        <li key={line}>{line}</li>
      ))}
    </ul>
  );
}

/** State servers that want a vote in a map (what Juju's `votingMachineIds` holds). */
function wantingVote(entries: readonly MapEntry[]): number {
  return entries.filter((e) => e.voteStatus === 'has-vote' || e.voteStatus === 'adding-vote').length;
}

function BeforeAfter({ preview }: { preview: HaPreview }) {
  const votingBefore = wantingVote(preview.before);
  const desired = preview.desired ?? wantingVote(preview.after);
  return (
    <div className="ha-before-after">
      <MapRow title="Now" entries={preview.before} survives={`${votingBefore} voting — ${survivesText(votingBefore)}`} />
      <p className="ha-arrow" aria-hidden="true">
        →
      </p>
      <MapRow title="After" entries={preview.after} survives={`${desired} voting once settled — ${survivesText(desired)}`} />
    </div>
  );
}

function MapRow({ title, entries, survives }: { title: string; entries: readonly MapEntry[]; survives: string }) {
  return (
    <div className="ha-map" role="group" aria-label={`State servers ${title.toLowerCase()}`}>
      <h3>{title}</h3>
      <ul className="ha-map-row">
        {entries.map((entry) => (
          <MapChip key={`${entry.machineId}-${entry.isNew}`} entry={entry} />
        ))}
      </ul>
      <p className="ha-survives">{survives}</p>
    </div>
  );
}

function MapChip({ entry }: { entry: MapEntry }) {
  const change = changeLabel(entry);
  const name = entry.isNew ? `New machine (${entry.machineId}?)` : `Machine ${entry.machineId}`;
  const classes = ['ha-chip', entry.isNew ? 'is-new' : '', entry.available || entry.isNew ? '' : 'is-down', entry.change === 'remove' || entry.change === 'demote' ? 'is-leaving' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <li className={classes} aria-label={name}>
      <span className="ha-chip-name">{name}</span>
      <span className="ha-chip-vote">{entry.voteStatus ?? 'not a state server'}</span>
      {change !== null && change !== 'maintained' ? <span className="ha-chip-change">{change}</span> : null}
      {!entry.available && !entry.isNew ? <span className="ha-chip-change">down</span> : null}
    </li>
  );
}
