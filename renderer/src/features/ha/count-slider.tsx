import { useId, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { CountStop } from '../../../../shared/ha/guards';
import { survivesText } from './plan-model';

/**
 * The state-server count as an ARIA slider with Juju's stops (1, 3, 5, 7):
 * even counts are unreachable (the value snaps to the odd stops), stops
 * below the current voting count are disabled with Juju's reason, the
 * current count is marked. Arrow keys, Page keys, Home/End, a click on the
 * track or on a stop, and dragging the thumb all move it.
 */
export function CountSlider({
  stops,
  value,
  disabled,
  disabledReason,
  onChange,
}: {
  stops: readonly CountStop[];
  value: number;
  disabled: boolean;
  /** Why the whole slider is disabled (a change under way), shown beside it. */
  disabledReason: string | null;
  onChange: (n: number) => void;
}) {
  const labelId = useId();
  const hintId = useId();
  const trackRef = useRef<HTMLDivElement>(null);
  const [refused, setRefused] = useState<number | null>(null);
  const [dragging, setDragging] = useState(false);
  const enabled = stops.filter((s) => s.enabled).map((s) => s.n);
  const min = stops[0]?.n ?? 1;
  const max = stops[stops.length - 1]?.n ?? 7;
  const lowest = enabled[0] ?? max;

  /** Moves to `n` when it is an enabled stop; a disabled one is refused with its reason. */
  const choose = (n: number) => {
    const stop = stops.find((s) => s.n === n);
    if (stop === undefined) return;
    if (!stop.enabled) {
      setRefused(n);
      if (value !== lowest) onChange(lowest);
      return;
    }
    setRefused(null);
    if (n !== value) onChange(n);
  };

  const step = (delta: number) => {
    const index = stops.findIndex((s) => s.n === value);
    const next = stops[Math.min(stops.length - 1, Math.max(0, index + delta))];
    if (next !== undefined) choose(next.n);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (disabled) return;
    const moves: Record<string, () => void> = {
      ArrowRight: () => step(1),
      ArrowUp: () => step(1),
      PageUp: () => step(1),
      ArrowLeft: () => step(-1),
      ArrowDown: () => step(-1),
      PageDown: () => step(-1),
      Home: () => choose(lowest),
      End: () => choose(max),
    };
    const move = moves[event.key];
    if (move === undefined) return;
    event.preventDefault();
    move();
  };

  /** The stop nearest to the pointer's position on the track. */
  const stopAt = (clientX: number): number => {
    const rect = trackRef.current?.getBoundingClientRect();
    if (rect === undefined || rect.width === 0) return value;
    const fraction = Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
    const raw = min + fraction * (max - min);
    return stops.reduce((best, s) => (Math.abs(s.n - raw) < Math.abs(best - raw) ? s.n : best), value);
  };

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if (disabled || event.button !== 0) return;
    event.currentTarget.setPointerCapture?.(event.pointerId);
    setDragging(true);
    choose(stopAt(event.clientX));
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    if (!dragging || disabled) return;
    const n = stopAt(event.clientX);
    if (n !== value) choose(n);
  };
  const endDrag = () => setDragging(false);

  const position = (n: number) => `${((n - min) / (max - min)) * 100}%`;
  const current = stops.find((s) => s.current)?.n ?? null;
  const refusedStop = refused === null ? null : stops.find((s) => s.n === refused && !s.enabled);
  const valueText = `${value} state server${value === 1 ? '' : 's'}${value === current ? ' (current)' : ''}, ${survivesText(value)}`;

  return (
    <div className={disabled ? 'count-slider is-disabled' : 'count-slider'}>
      <p id={labelId} className="count-slider-label">
        State servers
      </p>
      <div
        ref={trackRef}
        className="count-slider-track"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
      >
        <div className="count-slider-fill" style={{ width: position(value) }} />
        <div
          role="slider"
          tabIndex={disabled ? -1 : 0}
          className="count-slider-thumb"
          aria-labelledby={labelId}
          aria-describedby={hintId}
          aria-valuemin={min}
          aria-valuemax={max}
          aria-valuenow={value}
          aria-valuetext={valueText}
          aria-disabled={disabled || undefined}
          style={{ left: position(value) }}
          onKeyDown={onKeyDown}
        />
      </div>
      <ol className="count-slider-stops" aria-label="Stops">
        {stops.map((s) => (
          <li key={s.n} style={{ left: position(s.n) }} className={['count-stop', s.enabled ? '' : 'is-disabled', s.current ? 'is-current' : '', s.n === value ? 'is-selected' : ''].filter(Boolean).join(' ')}>
            <button type="button" className="count-stop-button" tabIndex={-1} disabled={disabled} aria-disabled={!s.enabled || undefined} onClick={() => choose(s.n)}>
              {s.n}
            </button>
            {s.current ? <span className="count-stop-note">current</span> : null}
            {!s.enabled ? <span className="count-stop-note">{s.reason}</span> : null}
          </li>
        ))}
      </ol>
      <div id={hintId} className="count-slider-hint" aria-live="polite">
        {disabled && disabledReason !== null ? <p>{disabledReason}</p> : null}
        {refusedStop ? (
          <p className="count-slider-refused" role="alert">
            {refusedStop.n} state server{refusedStop.n === 1 ? '' : 's'}: {refusedStop.reason}. Juju cannot shrink the replica set; see Shrinking below.
          </p>
        ) : null}
      </div>
    </div>
  );
}
