import { describe, expect, it } from 'vitest';
import type { PrecheckItem, PrecheckResult, RestoreRun } from '../../shared/ipc/channels/restore';
import { RESTORE_STEP_IDS, RESTORE_STEP_TITLES } from '../../shared/ipc/channels/restore';
import { formatChecklist, refusal, RunPrinter } from './restore-report';

const item = (id: PrecheckItem['id'], state: PrecheckItem['state'], why: string, needs: PrecheckItem['needs'] = null): PrecheckItem => ({ id, title: `title of ${id}`, state, why, needs });

const result = (items: PrecheckItem[]): PrecheckResult => ({
  items,
  canStart: items.every((i) => i.state !== 'fail'),
  environmentName: 'prod',
  originMachineId: '0',
  targetAddress: null,
});

describe('the checklist as the restore command prints it', () => {
  it('one line per item with its state, and the flag that confirms a failing item', () => {
    const text = formatChecklist(
      result([
        item('archive', 'pass', 'Juju 1.25.6.'),
        item('environment', 'fail', 'The archive is from environment a, not prod (b).', 'different-environment'),
        item('target-reachable', 'pending', 'Made at start.'),
        item('votes', 'fail', 'State server machine 1 still has a vote.', 'typed-environment-name'),
        item('target-space', 'warn', 'Free space could not be read.'),
      ]),
    );
    expect(text).toBe(
      [
        'checking the restore:',
        '  ok    title of archive: Juju 1.25.6.',
        '  FAIL  title of environment: The archive is from environment a, not prod (b). (add --allow-other-environment to restore it here anyway)',
        '  then  title of target-reachable: Made at start.',
        '  FAIL  title of votes: State server machine 1 still has a vote. (add --confirm-environment prod to go ahead)',
        '  warn  title of target-space: Free space could not be read.',
        '',
      ].join('\n'),
    );
  });

  it("the refusal joins every failing item's reason, with hints only where a flag helps", () => {
    const r = result([
      item('origin-down', 'fail', 'old bootstrap instance "i-1" still seems to exist; will not replace (its SSH still answers).'),
      item('votes', 'fail', 'Machine 1 votes.', 'typed-environment-name'),
      item('archive', 'pass', 'fine'),
    ]);
    expect(refusal(r)).toBe('old bootstrap instance "i-1" still seems to exist; will not replace (its SSH still answers). Machine 1 votes. (add --confirm-environment prod to go ahead)');
  });
});

function run(patch: (steps: RestoreRun['steps']) => RestoreRun['steps']): RestoreRun {
  const steps = RESTORE_STEP_IDS.map((id) => ({ id, title: RESTORE_STEP_TITLES[id], state: 'pending' as const, startedAt: null, durationMs: null, bytes: null, totalBytes: null, log: [], error: null }));
  return {
    operationId: 'op',
    environmentId: 'sandbox',
    mode: 'restore',
    state: 'running',
    steps: patch(steps),
    pointOfNoReturn: { stepId: 'update-bootstrap', description: '', passed: false },
    cancellable: true,
    restoreStatus: null,
    targetAddress: null,
    machineId: '0',
    machines: [],
    error: null,
  };
}

describe('RunPrinter', () => {
  it("prints a step's title when it begins and each log line once, warnings and errors marked", () => {
    const printer = new RunPrinter();
    expect(printer.next(run((s) => s))).toEqual([]);
    const first = run((s) => s.map((x, i) => (i === 0 ? { ...x, state: 'running', log: [{ at: 't1', text: 'reading', level: 'info' }] } : x)));
    expect(printer.next(first)).toEqual(['extracted credentials from backup file', '  reading']);
    expect(printer.next(first)).toEqual([]);
    const second = run((s) =>
      s.map((x, i) =>
        i === 0
          ? { ...x, state: 'succeeded', log: [{ at: 't1', text: 'reading', level: 'info' }, { at: 't2', text: 'slow disk', level: 'warning' }] }
          : i === 1
            ? { ...x, state: 'failed', log: [{ at: 't3', text: 'no instance', level: 'error' }] }
            : { ...x, state: 'skipped', log: [{ at: 't4', text: 'not run', level: 'info' }] },
      ),
    );
    expect(printer.next(second)).toEqual([
      '  WARNING slow disk',
      're-bootstrapping environment',
      '  ERROR no instance',
      ...RESTORE_STEP_IDS.slice(2).flatMap((id) => [RESTORE_STEP_TITLES[id], '  not run']),
    ]);
  });

  it('keeps printing new lines once a step keeps only its last 400', () => {
    const printer = new RunPrinter();
    const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ at: `t${from + k}`, text: `line ${from + k}`, level: 'info' as const }));
    printer.next(run((s) => s.map((x, i) => (i === 0 ? { ...x, state: 'running', log: lines(0, 400) } : x))));
    const out = printer.next(run((s) => s.map((x, i) => (i === 0 ? { ...x, state: 'running', log: lines(3, 403) } : x))));
    expect(out).toEqual(['  line 400', '  line 401', '  line 402']);
  });
});
