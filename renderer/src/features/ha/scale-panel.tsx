import { useCallback, useEffect, useMemo, useState } from 'react';
import type { EnsureAvailabilitySpec, HaStatus } from '../../../../shared/ipc/channels/ha';
import { useRetry } from '../../components/retry-button';
import { useAppStore } from '../../store/store-context';
import { ApplyControls } from './apply-controls';
import { CountSlider } from './count-slider';
import { HaError } from './ha-error';
import { HaOptions } from './ha-options';
import { PlanPreview } from './plan-preview';
import { cliCommand, specKey, specOf, type HaForm } from './plan-model';

/** Wait this long after the last slider or field change before asking for a plan. */
const PREVIEW_DELAY_MS = 120;

/** The first count to show: the current one when it is a stop, else the lowest allowed. */
function initialCount(status: HaStatus): number {
  return status.stops.find((s) => s.current)?.n ?? status.stops.find((s) => s.enabled)?.n ?? 3;
}

/**
 * Choose a count (and options), see Juju's plan for it, apply it. The
 * slider is disabled while a change is under way.
 */
export function ScalePanel({ environmentId, status, running }: { environmentId: string; status: HaStatus; running: boolean }) {
  const previewHa = useAppStore((s) => s.previewHa);
  const applyHa = useAppStore((s) => s.applyHa);
  const preview = useAppStore((s) => s.ha.preview);
  const previewKey = useAppStore((s) => s.ha.previewKey);
  const previewError = useAppStore((s) => s.ha.previewError);
  const previewing = useAppStore((s) => s.ha.previewing);
  const applyError = useAppStore((s) => s.ha.applyError);
  // What the last Apply sent: Retry apply sends the same spec, preview and override (main compares the plan again).
  const [lastApply, setLastApply] = useState<{ spec: EnsureAvailabilitySpec; options: { overrideRerunGuard: boolean; previewLines: readonly string[] } } | null>(null);
  const retryApply = useRetry(useCallback(() => (lastApply === null ? Promise.resolve() : applyHa(lastApply.spec, lastApply.options)), [applyHa, lastApply]));
  const [form, setForm] = useState<HaForm>(() => ({ n: initialCount(status), series: '', constraints: '', placement: [] }));

  // A count that is no longer allowed (the voting count grew) moves up to the lowest allowed stop.
  const chosen = status.stops.find((s) => s.n === form.n);
  const n = chosen?.enabled === false || chosen === undefined ? initialCount(status) : form.n;
  const spec = useMemo(() => specOf(environmentId, { ...form, n }), [environmentId, form, n]);
  const key = specKey(spec);

  const markStale = useAppStore((s) => s.markHaPreviewStale);
  useEffect(() => {
    if (running) return;
    // Until the new answer arrives, the plan on screen is for older facts: Apply waits.
    markStale();
    const timer = setTimeout(() => void previewHa(spec), PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [spec, status, running, previewHa, markStale]);

  const current = preview !== null && previewKey === key ? preview : null;
  const hazards = current !== null && current.hazards.length > 0 ? current.hazards : status.hazards;
  const placementCandidates = status.placementCandidates.filter((m) => !m.isStateServer);
  const defaultSeries = status.stateServers.find((m) => m.wantsVote)?.series ?? null;

  const disabledReason = running
    ? 'A change is under way: wait until every wanted vote is held.'
    : status.facts !== 'ready'
      ? 'The state servers cannot be read right now; Quorum keeps trying.'
      : status.adminPassword === 'missing'
        ? "Enter the environment's admin password first."
        : current === null || previewing
          ? "Reading Juju's plan…"
          : current.error !== null
            ? 'Juju would refuse this change (see the plan).'
            : current.noOp
              ? 'Nothing to apply: the state servers already have this shape.'
              : null;

  return (
    <section className="ha-scale" aria-labelledby="ha-scale-title">
      <h2 id="ha-scale-title">Number of state servers</h2>
      <CountSlider
        stops={status.stops}
        value={n}
        disabled={running}
        disabledReason={running ? 'A change is under way: the count can be changed again once it has settled.' : null}
        onChange={(next) => setForm((f) => ({ ...f, n: next }))}
      />
      <HaOptions form={form} candidates={placementCandidates} defaultSeries={defaultSeries} disabled={running} onChange={setForm} />
      {previewError !== null && previewKey === key ? <HaError error={previewError} context="Plan" onRetry={() => void previewHa(spec)} retrying={previewing} retryLabel="Retry plan" /> : null}
      {current !== null ? (
        <PlanPreview preview={current} previewing={previewing && !running} applying={running} />
      ) : preview !== null && !running ? (
        <PlanPreview preview={preview} previewing applying={false} />
      ) : null}
      {!running ? (
        <ApplyControls
          preview={current}
          hazards={hazards}
          command={cliCommand({ ...form, n })}
          disabledReason={disabledReason}
          onApply={(override) => {
            if (current === null) return;
            const request = { spec, options: { overrideRerunGuard: override, previewLines: current.lines } };
            setLastApply(request);
            void applyHa(request.spec, request.options);
          }}
        />
      ) : null}
      {applyError !== null ? <HaError error={applyError} context="Apply" {...(lastApply === null || running ? {} : retryApply)} retryLabel="Retry apply" /> : null}
    </section>
  );
}
