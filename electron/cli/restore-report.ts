import type { PrecheckItem, PrecheckResult, RestoreRun } from '../../shared/ipc/channels/restore';

/**
 * What `quorum backups restore` prints on stderr while it works: the
 * checklist it judged (the console's pre-check screen, one line per item),
 * then each step of the run under the seed's own log line as it begins,
 * its log lines indented below it (Juju's `Succesful update of machine "1"`
 * lines among them). Pure, so the wording is unit-tested.
 */

const MARK: Readonly<Record<PrecheckItem['state'], string>> = { pass: 'ok  ', warn: 'warn', fail: 'FAIL', pending: 'then' };

/** The flag that turns a failing item into a pass, in the operator's words. */
export function confirmationHint(item: PrecheckItem, environmentName: string): string | null {
  if (item.needs === 'typed-environment-name') return `add --confirm-environment ${environmentName} to go ahead`;
  if (item.needs === 'different-environment') return 'add --allow-other-environment to restore it here anyway';
  return null;
}

export function formatChecklist(result: PrecheckResult): string {
  const lines = result.items.map((item) => {
    const hint = item.state === 'fail' ? confirmationHint(item, result.environmentName) : null;
    return `  ${MARK[item.state]}  ${item.title}: ${item.why}${hint ? ` (${hint})` : ''}`;
  });
  return `checking the restore:\n${lines.join('\n')}\n`;
}

/** The one-line refusal when the checklist does not allow the restore: each failing item's reason, with its hint. */
export function refusal(result: PrecheckResult): string {
  return result.items
    .filter((i) => i.state === 'fail')
    .map((i) => {
      const hint = confirmationHint(i, result.environmentName);
      return hint ? `${i.why} (${hint})` : i.why;
    })
    .join(' ');
}

/**
 * Turns successive copies of a run (`restore.progress`) into the lines not
 * printed yet. Log entries are kept by time and text, since the run keeps
 * only a step's last 400 lines.
 */
export class RunPrinter {
  readonly #titled = new Set<string>();
  readonly #seen = new Set<string>();

  next(run: RestoreRun): string[] {
    const out: string[] = [];
    for (const step of run.steps) {
      if (step.state === 'pending') continue;
      if (!this.#titled.has(step.id)) {
        this.#titled.add(step.id);
        out.push(step.title);
      }
      for (const entry of step.log) {
        const key = `${step.id}\0${entry.at}\0${entry.text}`;
        if (this.#seen.has(key)) continue;
        this.#seen.add(key);
        out.push(`  ${entry.level === 'info' ? '' : `${entry.level.toUpperCase()} `}${entry.text}`);
      }
    }
    return out;
  }
}
