import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { scheduleSettingsSchema, type ScheduleSettings, type ScheduleState } from '../../../../shared/ipc/channels/schedule';
import { ErrorMessage } from '../../components/error-message';
import { useRetry } from '../../components/retry-button';
import { formatTime, RunLine, ScheduleFailure } from './schedule-failure';
import { useAppStore } from '../../store/store-context';

/**
 * The Backups page's Schedule panel: every N hours or daily at a local time,
 * retention (keep N, max age D days, optionally the server's copies too),
 * the next run, the last run's result, and a failed run as an alert with
 * Retry backup and Acknowledge until it is acknowledged. A request about the
 * schedule that fails shows its error with a Retry that sends it again.
 * Runs happen only while Quorum runs.
 */

type Kind = 'interval' | 'daily';

interface Draft {
  kind: Kind;
  hours: string;
  time: string;
  keep: string;
  maxAgeDays: string;
  includeServer: boolean;
}

function draftFrom(settings: ScheduleSettings | null): Draft {
  return {
    kind: settings?.cadence.kind ?? 'interval',
    hours: settings?.cadence.kind === 'interval' ? String(settings.cadence.hours) : '24',
    time: settings?.cadence.kind === 'daily' ? settings.cadence.time : '03:00',
    keep: settings?.keep == null ? '' : String(settings.keep),
    maxAgeDays: settings?.maxAgeDays == null ? '' : String(settings.maxAgeDays),
    includeServer: settings?.includeServer ?? false,
  };
}

/** The draft as settings, or the first problem in words. */
export function settingsFromDraft(d: Draft): { settings: ScheduleSettings } | { problem: string } {
  const number = (v: string) => (v.trim() === '' ? null : Number(v));
  const candidate = {
    cadence: d.kind === 'interval' ? { kind: 'interval' as const, hours: number(d.hours) } : { kind: 'daily' as const, time: d.time },
    keep: number(d.keep),
    maxAgeDays: number(d.maxAgeDays),
    includeServer: d.includeServer,
  };
  if (candidate.cadence.kind === 'interval' && candidate.cadence.hours === null) return { problem: 'Hours between runs: enter a number of hours.' };
  const parsed = scheduleSettingsSchema.safeParse(candidate);
  if (parsed.success) return { settings: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = { cadence: d.kind === 'interval' ? 'Hours between runs' : 'Time of day', keep: 'Keep', maxAgeDays: 'Max age' }[String(issue.path[0])] ?? 'Schedule';
  return { problem: `${field}: ${issue.code === 'invalid_type' ? 'enter a number' : issue.message}.` };
}


function describeSchedule(s: ScheduleSettings): string {
  const when = s.cadence.kind === 'interval' ? `every ${s.cadence.hours} hour${s.cadence.hours === 1 ? '' : 's'}` : `daily at ${s.cadence.time}`;
  const limits = [s.keep === null ? null : `keep ${s.keep}`, s.maxAgeDays === null ? null : `max age ${s.maxAgeDays} day${s.maxAgeDays === 1 ? '' : 's'}`].filter((x) => x !== null);
  return `Backs up ${when}${limits.length > 0 ? `; ${limits.join(', ')}${s.includeServer ? ', server copies too' : ', local library only'}` : '; no retention'}.`;
}

const ACTION_TITLE = {
  load: 'The schedule could not be read',
  save: 'The schedule could not be saved',
  clear: 'The schedule could not be turned off',
  acknowledge: 'The failed run could not be acknowledged',
} as const;
const RETRY_LABEL = { load: 'Retry', save: 'Retry save', clear: 'Retry turn off', acknowledge: 'Retry acknowledge' } as const;

export function SchedulePanel({ environmentId }: { environmentId: string }) {
  const state: ScheduleState | undefined = useAppStore((s) => s.schedule.byEnvironment[environmentId]);
  const failed = useAppStore((s) => (s.schedule.error?.environmentId === environmentId ? s.schedule.error : null));
  const error = failed?.error ?? null;
  const load = useAppStore((s) => s.loadSchedule);
  const retryAction = useAppStore((s) => s.retryScheduleAction);
  const retry = useRetry(useCallback(() => retryAction(environmentId), [retryAction, environmentId]));
  const loaded = state !== undefined;
  const settings = state?.settings ?? null;

  useEffect(() => {
    void load(environmentId);
  }, [environmentId, load]);

  return (
    <section className="backup-schedule" aria-labelledby="backup-schedule-heading">
      <h2 id="backup-schedule-heading">Schedule</h2>
      {state?.failure ? <ScheduleFailure environmentId={environmentId} failure={state.failure} /> : null}
      {failed !== null ? <ErrorMessage error={failed.error} title={ACTION_TITLE[failed.action.kind]} {...retry} retryLabel={RETRY_LABEL[failed.action.kind]} /> : null}
      <div className="schedule-status" role="status" aria-label="Schedule status">
        {!loaded && error === null ? <p>Reading the schedule…</p> : null}
        {loaded && settings === null ? <p>No scheduled backups for this environment.</p> : null}
        {settings !== null ? <p>{describeSchedule(settings)}</p> : null}
        {state?.running ? <p>Running now…</p> : null}
        {state?.nextRun ? (
          <p>
            Next run: <time dateTime={state.nextRun}>{formatTime(state.nextRun)}</time>
          </p>
        ) : null}
        {state?.lastRun && state.lastRun.finished === state.failure?.finished ? <p>Last run: failed (above).</p> : null}
        {state?.lastRun && state.lastRun.finished !== state.failure?.finished ? (
          <p>
            Last run: <RunLine run={state.lastRun} />
          </p>
        ) : null}
      </div>
      {/* Keyed by what main holds: the form starts again from it whenever it is loaded or saved. */}
      <ScheduleForm key={loaded ? JSON.stringify(settings) : 'loading'} environmentId={environmentId} settings={settings} loaded={loaded} />
    </section>
  );
}

function ScheduleForm({ environmentId, settings, loaded }: { environmentId: string; settings: ScheduleSettings | null; loaded: boolean }) {
  const saving = useAppStore((s) => s.schedule.saving === environmentId);
  const save = useAppStore((s) => s.saveSchedule);
  const clear = useAppStore((s) => s.clearSchedule);
  const [draft, setDraft] = useState<Draft>(() => draftFrom(settings));
  const [problem, setProblem] = useState<string | null>(null);
  const ids = { kind: useId(), hours: useId(), time: useId(), keep: useId(), age: useId(), server: useId(), problem: useId() };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = settingsFromDraft(draft);
    if ('problem' in result) {
      setProblem(result.problem);
      return;
    }
    setProblem(null);
    void save(environmentId, result.settings);
  };
  const edit = (p: Partial<Draft>) => setDraft((d) => ({ ...d, ...p }));

  return (
    <form className="form" onSubmit={submit} aria-label="Backup schedule" noValidate>
      <fieldset className="schedule-cadence">
        <legend>Run</legend>
        <div className="field-check">
          <input id={`${ids.kind}-i`} type="radio" name={ids.kind} checked={draft.kind === 'interval'} onChange={() => edit({ kind: 'interval' })} />
          <label htmlFor={`${ids.kind}-i`}>Every N hours</label>
        </div>
        {draft.kind === 'interval' ? (
          <div className="field">
            <label htmlFor={ids.hours}>Hours between runs</label>
            <input id={ids.hours} type="number" min={1} max={168} step={1} value={draft.hours} onChange={(e) => edit({ hours: e.target.value })} />
          </div>
        ) : null}
        <div className="field-check">
          <input id={`${ids.kind}-d`} type="radio" name={ids.kind} checked={draft.kind === 'daily'} onChange={() => edit({ kind: 'daily' })} />
          <label htmlFor={`${ids.kind}-d`}>Daily at</label>
        </div>
        {draft.kind === 'daily' ? (
          <div className="field">
            <label htmlFor={ids.time}>Time of day</label>
            <input id={ids.time} type="time" value={draft.time} onChange={(e) => edit({ time: e.target.value })} />
            <p className="field-hint">This computer&apos;s local time.</p>
          </div>
        ) : null}
      </fieldset>
      <div className="field">
        <label htmlFor={ids.keep}>Keep (newest backups)</label>
        <input id={ids.keep} type="number" min={1} step={1} value={draft.keep} placeholder="no limit" onChange={(e) => edit({ keep: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={ids.age}>Max age (days)</label>
        <input id={ids.age} type="number" min={1} step={1} value={draft.maxAgeDays} placeholder="no limit" onChange={(e) => edit({ maxAgeDays: e.target.value })} />
        <p className="field-hint">Retention never removes the newest verified backup, nor a file it cannot identify as a Juju backup.</p>
      </div>
      <div className="field-check">
        <input id={ids.server} type="checkbox" checked={draft.includeServer} onChange={(e) => edit({ includeServer: e.target.checked })} />
        <label htmlFor={ids.server}>Also prune server copies</label>
      </div>
      {problem !== null ? (
        <p id={ids.problem} className="notice notice-error" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={saving || !loaded}>
          Save schedule
        </button>
        <button type="button" className="button" disabled={saving || settings === null} onClick={() => void clear(environmentId)}>
          Turn off
        </button>
      </div>
      <p className="field-hint">Scheduled backups run only while Quorum is running. For unattended hosts, use cron or a systemd timer with the quorum command (see the README).</p>
    </form>
  );
}
