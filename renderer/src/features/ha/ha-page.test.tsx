// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { HaPage } from './ha-page';
import { haApi, server, tags, verifiedBackup, worker, type FakeMachine, type HaTestApi } from './ha-test-api';

afterEach(cleanup);

const ONE = [server('0'), worker('1'), worker('2')];
const THREE = [server('0'), server('1'), server('2'), worker('3')];

async function renderPage(api: HaTestApi) {
  const view = await renderWithStore(<HaPage />, api as unknown as FakeApi);
  await screen.findByRole('slider', { name: 'State servers' });
  return view;
}

const slider = () => screen.getByRole('slider', { name: 'State servers' });
const planLines = async () => within(await screen.findByRole('list', { name: "Juju's plan" })).getAllByRole('listitem').map((li) => li.textContent);
/** The Apply button, once Juju's plan for the chosen count is in. */
async function clickApply() {
  const button = await screen.findByRole('button', { name: 'Apply…' });
  await waitFor(() => expect(button).toHaveProperty('disabled', false));
  fireEvent.click(button);
}
const calls = (api: HaTestApi, channel: string) => api.calls.filter((c) => c.channel === channel).map((c) => c.request);

describe('HA page: the count slider', () => {
  it('has the stops 1, 3, 5, 7, marks the current count and disables lower ones with Juju’s reason', async () => {
    await renderPage(haApi(THREE));
    const s = slider();
    expect(s.getAttribute('aria-valuemin')).toBe('1');
    expect(s.getAttribute('aria-valuemax')).toBe('7');
    expect(s.getAttribute('aria-valuenow')).toBe('3');
    expect(s.getAttribute('aria-valuetext')).toBe('3 state servers (current), survives 1 failure');
    const stops = within(screen.getByRole('list', { name: 'Stops' })).getAllByRole('listitem');
    expect(stops.map((li) => li.textContent)).toEqual(['1cannot reduce state server count', '3current', '5', '7']);
  });

  it('moves by keyboard between odd stops only, and refuses a count below the current one with the reason', async () => {
    const api = haApi(THREE);
    await renderPage(api);
    const s = slider();
    s.focus();
    fireEvent.keyDown(s, { key: 'ArrowRight' });
    expect(s.getAttribute('aria-valuenow')).toBe('5');
    fireEvent.keyDown(s, { key: 'ArrowUp' });
    expect(s.getAttribute('aria-valuenow')).toBe('7');
    fireEvent.keyDown(s, { key: 'ArrowRight' });
    expect(s.getAttribute('aria-valuenow')).toBe('7');
    fireEvent.keyDown(s, { key: 'Home' });
    expect(s.getAttribute('aria-valuenow')).toBe('3');
    expect(screen.queryByText(/1 state server: cannot reduce/)).toBeNull();
    fireEvent.keyDown(s, { key: 'ArrowLeft' });
    expect(s.getAttribute('aria-valuenow')).toBe('3');
    expect(screen.getByRole('alert').textContent).toContain('1 state server: cannot reduce state server count');
    fireEvent.keyDown(s, { key: 'End' });
    expect(s.getAttribute('aria-valuenow')).toBe('7');
    expect(screen.getByText('Fewer state servers')).toBeTruthy();
  });

  it('snaps a pointer on the track to the nearest odd stop', async () => {
    await renderPage(haApi(ONE));
    const s = slider();
    const track = s.parentElement!;
    track.getBoundingClientRect = () => ({ left: 100, width: 600, top: 0, height: 8, right: 700, bottom: 8, x: 100, y: 0, toJSON: () => ({}) });
    // 4.4 on a 1..7 scale: even counts do not exist, 5 is nearest.
    fireEvent.pointerDown(track, { button: 0, clientX: 100 + ((4.4 - 1) / 6) * 600, pointerId: 1 });
    expect(s.getAttribute('aria-valuenow')).toBe('5');
    fireEvent.pointerMove(track, { clientX: 100 + ((2.8 - 1) / 6) * 600, pointerId: 1 });
    expect(s.getAttribute('aria-valuenow')).toBe('3');
    fireEvent.pointerUp(track, { pointerId: 1 });
  });
});

describe('HA page: plan preview and apply', () => {
  it('shows Juju’s report lines, the before/after map and the failures each shape survives', async () => {
    const api = haApi(ONE);
    await renderPage(api);
    expect(slider().getAttribute('aria-valuenow')).toBe('1');
    await waitFor(() => expect(screen.getByText(/Nothing to do: the state servers already have this shape/)).toBeTruthy());
    fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    await waitFor(async () => expect(await planLines()).toEqual(['maintaining machines: 0', 'adding machines: 3, 4']));
    expect(calls(api, 'ha.preview').at(-1)).toEqual({ environmentId: 'sandbox', n: 3 });
    const now = screen.getByRole('group', { name: 'State servers now' });
    const after = screen.getByRole('group', { name: 'State servers after' });
    expect(within(now).getAllByRole('listitem').map((li) => li.getAttribute('aria-label'))).toEqual(['Machine 0']);
    expect(now.textContent).toContain('1 voting — survives no failure');
    expect(within(after).getAllByRole('listitem').map((li) => li.getAttribute('aria-label'))).toEqual(['Machine 0', 'New machine (3?)', 'New machine (4?)']);
    expect(within(after).getByRole('listitem', { name: 'New machine (3?)' }).textContent).toContain('adding-vote');
    expect(after.textContent).toContain('3 voting once settled — survives 1 failure');
    fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    await waitFor(() => expect(screen.getByRole('group', { name: 'State servers after' }).textContent).toContain('5 voting once settled — survives 2 failures'));
    fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    await waitFor(() => expect(screen.getByRole('group', { name: 'State servers after' }).textContent).toContain('7 voting once settled — survives 3 failures'));
  });

  it('sends series, constraints and --to machines, and the plan converts them first', async () => {
    const api = haApi(ONE);
    await renderPage(api);
    fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    fireEvent.change(screen.getByLabelText('Series'), { target: { value: 'trusty' } });
    fireEvent.change(screen.getByLabelText('Constraints'), { target: { value: 'mem=4G' } });
    fireEvent.click(screen.getByRole('checkbox', { name: /^Machine 2/ }));
    await waitFor(async () => expect(await planLines()).toEqual(['maintaining machines: 0', 'adding machines: 3', 'converting machines: 2']));
    expect(calls(api, 'ha.preview').at(-1)).toEqual({ environmentId: 'sandbox', n: 3, series: 'trusty', constraints: 'mem=4G', placement: ['2'] });
    expect(screen.getByText('juju ensure-availability -n 3 --series trusty --constraints "mem=4G" --to 2')).toBeTruthy();
  });

  it('applies after confirming, follows the transitions live, and says the result matches the preview', async () => {
    const api = haApi(ONE);
    const { store } = await renderPage(api);
    fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    await waitFor(async () => expect(await planLines()).toHaveLength(2));
    await clickApply();
    const dialog = screen.getByRole('dialog', { name: 'Apply this plan?' });
    expect(within(dialog).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['maintaining machines: 0', 'adding machines: 3, 4']);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(calls(api, 'ha.apply')).toEqual([{ environmentId: 'sandbox', n: 3 }]));
    await waitFor(() => expect(slider().getAttribute('aria-disabled')).toBe('true'));
    expect(screen.getByText(/A change is under way/, { selector: 'p' })).toBeTruthy();

    const live = () => screen.getByRole('list', { name: 'Live state servers' });
    const row = (id: string) => within(live()).getByRole('listitem', { name: `Machine ${id}` });
    const pending: FakeMachine[] = [server('0'), worker('1'), worker('2'), server('3', { hasVote: false, available: false, agentState: 'pending' }), server('4', { hasVote: false, available: false, agentState: 'pending' })];
    api.setMachines(pending, { applyOperationId: 'op-ha-apply-0001', settling: true });
    expect(row('3').textContent).toContain('pending');
    expect(row('3').textContent).toContain('adding-vote');
    api.setMachines([server('0'), worker('1'), worker('2'), server('3', { hasVote: false }), server('4', { hasVote: false })], { applyOperationId: 'op-ha-apply-0001', settling: true });
    api.progressApply('Waiting for machines 3, 4 to have a vote');
    expect(screen.getByText('Waiting for machines 3, 4 to have a vote')).toBeTruthy();
    api.setMachines([server('0'), worker('1'), worker('2'), server('3'), server('4')], { applyOperationId: 'op-ha-apply-0001' });
    expect(within(row('3')).getByText('has-vote')).toBeTruthy();
    expect(row('3').textContent).toContain('pending → started');
    expect(row('4').textContent).toContain('adding-vote → has-vote');
    expect(screen.getByRole('status', { name: 'Quorum' }).textContent).toContain('survives 1 failure');

    api.finishApply('succeeded', { lines: ['maintaining machines: 0', 'adding machines: 3, 4'], changes: { maintained: tags('0'), added: tags('3', '4') }, previewLines: [], matchedPreview: true, differences: [], settledMs: 8200 });
    expect(within(screen.getByRole('list', { name: "Juju's answer" })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['maintaining machines: 0', 'adding machines: 3, 4']);
    expect(screen.getByText('Matches the preview.')).toBeTruthy();
    expect(screen.getByText('Every wanted vote held 8.2 s after Apply.')).toBeTruthy();
    await waitFor(() => expect(slider().getAttribute('aria-disabled')).toBeNull());
    expect(store.getState().ha.applyOperationId).toBe('op-ha-apply-0001');
  });

  it('says what differed when the API did something else than the preview', async () => {
    const api = haApi(ONE);
    await renderPage(api);
    fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    await clickApply();
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(calls(api, 'ha.apply')).toHaveLength(1));
    api.finishApply('succeeded', { lines: ['maintaining machines: 0', 'adding machines: 3, 4, 5'], changes: {}, previewLines: [], matchedPreview: false, differences: ['adding machines: preview 3, 4, result 3, 4, 5'], settledMs: null });
    expect(screen.getByText('Differs from the preview')).toBeTruthy();
    expect(within(screen.getByRole('list', { name: 'Differences from the preview' })).getByRole('listitem').textContent).toBe('adding machines: preview 3, 4, result 3, 4, 5');
  });

  it('refuses a re-run while a state server is pending or adding-vote, and runs it only after an explicit confirmation', async () => {
    const settling: FakeMachine[] = [server('0'), server('1', { hasVote: false, available: false, agentState: 'pending' }), server('2', { hasVote: false })];
    const api = haApi(settling);
    await renderPage(api);
    const refusal = await screen.findByRole('alert', { name: 'Re-run refused' });
    expect(refusal.textContent).toContain('machine 1: its agent is still pending');
    expect(refusal.textContent).toContain('machine 2: it has no vote yet (adding-vote)');
    expect(refusal.textContent).toContain('LP 1384549');
    expect(screen.queryByRole('button', { name: 'Apply…' })).toBeNull();
    await waitFor(async () => expect(await planLines()).toContain('demoting machines: 1'));
    fireEvent.click(screen.getByRole('button', { name: 'Run anyway…' }));
    const dialog = screen.getByRole('dialog', { name: 'Run ensure-availability anyway?' });
    const confirm = within(dialog).getByRole('button', { name: 'Run anyway' });
    expect(confirm).toHaveProperty('disabled', true);
    fireEvent.click(within(dialog).getByRole('checkbox', { name: /I understand machines 1, 2 may be demoted/ }));
    fireEvent.click(confirm);
    await waitFor(() => expect(calls(api, 'ha.apply')).toEqual([{ environmentId: 'sandbox', n: 3, overrideRerunGuard: true }]));
  });
});

describe('HA page: admin password and errors', () => {
  it('asks for the admin password when none is known, sends it once and keeps it nowhere', async () => {
    const api = haApi(ONE, { adminPassword: 'missing' });
    const { store } = await renderPage(api);
    expect(screen.getByRole('button', { name: 'Apply…' })).toHaveProperty('disabled', true);
    const field = screen.getByLabelText('Admin password', { selector: 'input' });
    expect(field.getAttribute('type')).toBe('password');
    fireEvent.change(field, { target: { value: 'hunter2-secret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Use this password' }));
    await waitFor(() => expect(calls(api, 'ha.setAdminPassword')).toEqual([{ environmentId: 'sandbox', password: 'hunter2-secret' }]));
    expect((field as HTMLInputElement).value).toBe('');
    expect(await screen.findByText(/Juju accepted the admin password/)).toBeTruthy();
    expect(JSON.stringify(store.getState())).not.toContain('hunter2-secret');
    expect(document.body.innerHTML).not.toContain('hunter2-secret');
  });

  it.each([
    ['juju-blocked', 'The operation has been blocked.', 'Changes are blocked in this environment', 'juju unblock all-changes'],
    ['juju-api-unreachable', 'Could not reach the Juju API at 10.23.0.10:17070.', "Juju's API cannot be reached", 'port 17070'],
    ['juju-api-error', 'failed to create new state server machines: cannot reduce state server count', 'Juju refused the change', 'cannot reduce state server count'],
  ] as const)('shows %s in Juju’s words with its own title and next step', async (code, message, title, advice) => {
    const api = haApi(ONE);
    await renderPage(api);
    fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    await clickApply();
    api.failNext('ha.apply', { code, message });
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Apply' }));
    const alert = await screen.findByText(message);
    const box = alert.closest('[role="alert"]')!;
    expect(box.textContent).toContain(title);
    expect(box.textContent).toContain(advice);
  });

  it('shows why the state servers cannot be read, with no slider to act on', async () => {
    const api = haApi(ONE, { facts: 'unavailable', factsError: { code: 'host-unreachable', message: 'Could not reach 10.23.0.10 over SSH: connection refused.' }, stops: [], stateServers: [] });
    await renderWithStore(<HaPage />, api as unknown as FakeApi);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Reading the state servers: The state servers cannot be reached');
    expect(alert.textContent).toContain('Could not reach 10.23.0.10 over SSH');
    expect(screen.queryByRole('slider')).toBeNull();
    // The one Retry of the console, inside the error it answers.
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(calls(api, 'ha.status')).toHaveLength(2));
  });

  it('asks for the password again when Juju refuses the login', async () => {
    const api = haApi(ONE);
    await renderPage(api);
    fireEvent.keyDown(slider(), { key: 'ArrowRight' });
    await clickApply();
    api.failNext('ha.apply', { code: 'juju-login-refused', message: 'invalid entity name or password' });
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Apply' }));
    expect(await screen.findByLabelText('Admin password', { selector: 'input' })).toBeTruthy();
    expect(screen.getAllByText('Juju refused the admin login').length).toBeGreaterThan(0);
  });
});

describe('HA page: failed state servers, quorum loss, shrinking', () => {
  it('guides the three recovery steps, each with its plan, result and what to wait for', async () => {
    const failed: FakeMachine[] = [server('0'), server('1'), server('2', { available: false, agentState: 'down' }), worker('3')];
    const api = haApi(failed);
    const preview1 = { environmentId: 'sandbox', desired: 3, lines: ['maintaining machines: 0, 1', 'adding machines: 4', 'demoting machines: 2'], noOp: false, changes: {}, before: [], after: [], error: null, advice: null, hazards: [] };
    api.setRecoveryPlan({ environmentId: 'sandbox', situation: 'recoverable', step: 1, failedMachineIds: ['2'], sentence: 'Ensure availability demotes machine 2 and adds a replacement.', waitFor: null, preview: preview1, removeMachineIds: [] });
    await renderPage(api);
    fireEvent.click(screen.getByRole('button', { name: 'Start recovery' }));
    const step1 = await screen.findByRole('listitem', { name: 'Step 1: Ensure availability' });
    await waitFor(() => expect(within(step1).getAllByRole('listitem').map((li) => li.textContent)).toEqual(preview1.lines));
    expect(step1.getAttribute('aria-current')).toBe('step');
    fireEvent.click(within(step1).getByRole('button', { name: 'Run step 1' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Run step 1?' })).getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(calls(api, 'ha.apply')).toEqual([{ environmentId: 'sandbox', n: 3 }]));
    api.finishApply('succeeded', { lines: preview1.lines, changes: {}, previewLines: preview1.lines, matchedPreview: true, differences: [], settledMs: 1000 });

    const preview2 = { ...preview1, lines: ['maintaining machines: 0, 1, 4', 'removing machines: 2'] };
    api.setRecoveryPlan({ environmentId: 'sandbox', situation: 'settling', step: 2, failedMachineIds: ['2'], sentence: 'Ensure availability again removes machine 2 from the state servers.', waitFor: 'Wait for machine 4 to show has-vote.', preview: preview2, removeMachineIds: [] });
    api.setMachines([server('0'), server('1'), server('2', { available: false, wants: false, agentState: 'down' }), worker('3'), server('4', { hasVote: false })]);
    const step2 = await screen.findByRole('listitem', { name: 'Step 2: Ensure availability again' });
    await waitFor(() => expect(within(step2).getByRole('status', { name: 'What to wait for' }).textContent).toBe('Wait for machine 4 to show has-vote.'));
    expect(within(step2).getByRole('button', { name: 'Run step 2' })).toHaveProperty('disabled', true);
    const done1 = screen.getByRole('listitem', { name: 'Step 1: Ensure availability' });
    expect(within(done1).getByRole('list', { name: 'Result of step 1' }).textContent).toContain('demoting machines: 2');
    expect(done1.textContent).toContain('Matches the preview.');

    api.setRecoveryPlan({ environmentId: 'sandbox', situation: 'recoverable', step: 2, failedMachineIds: ['2'], sentence: 'Ensure availability again removes machine 2.', waitFor: null, preview: preview2, removeMachineIds: [] });
    api.setMachines([server('0'), server('1'), server('2', { available: false, wants: false, hasVote: false, agentState: 'down' }), worker('3'), server('4')]);
    await waitFor(() => expect(within(screen.getByRole('listitem', { name: 'Step 2: Ensure availability again' })).getByRole('button', { name: 'Run step 2' })).toHaveProperty('disabled', false));
    fireEvent.click(screen.getByRole('button', { name: 'Run step 2' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Run step 2?' })).getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(calls(api, 'ha.apply')).toHaveLength(2));
    api.finishApply('succeeded', { lines: preview2.lines, changes: {}, previewLines: preview2.lines, matchedPreview: true, differences: [], settledMs: 500 });

    api.setRecoveryPlan({ environmentId: 'sandbox', situation: 'recoverable', step: 3, failedMachineIds: ['2'], sentence: 'Remove machine 2 entirely.', waitFor: null, preview: null, removeMachineIds: ['2'] });
    api.setMachines([server('0'), server('1'), { ...worker('2'), available: false, agentState: 'down' }, worker('3'), server('4')]);
    const step3 = await screen.findByRole('listitem', { name: 'Step 3: Remove the failed machines' });
    await waitFor(() => expect(step3.getAttribute('aria-current')).toBe('step'));
    expect(within(step3).getByRole('checkbox', { name: /--force/ })).toHaveProperty('checked', true);
    fireEvent.click(within(step3).getByRole('button', { name: 'Run step 3' }));
    const dialog = screen.getByRole('dialog', { name: 'Run step 3?' });
    expect(dialog.textContent).toContain('juju remove-machine --force 2');
    api.setRecoveryPlan({ environmentId: 'sandbox', situation: 'healthy', step: null, failedMachineIds: [], sentence: 'Every state server is up and votes.', waitFor: null, preview: null, removeMachineIds: [] });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(calls(api, 'ha.removeMachines')).toEqual([{ environmentId: 'sandbox', machineIds: ['2'], force: true }]));
    expect(await screen.findByText('Removed machine 2.')).toBeTruthy();
    expect(await screen.findByText(/Recovery complete/)).toBeTruthy();
  });

  it('says only a restore recovers when quorum is lost, naming the newest verified backup', async () => {
    const api = haApi([server('0'), server('1', { available: false, agentState: 'down' }), server('2', { available: false, agentState: 'down' })]);
    api.setBackups([verifiedBackup('20250101-000000.aaaaaaaa-0000-4000-8000-000000000000', '2025-01-01T00:00:00Z'), verifiedBackup('20250301-000000.aaaaaaaa-0000-4000-8000-000000000000', '2025-03-01T00:00:00Z')]);
    const { store } = await renderWithStore(<HaPage />, api as unknown as FakeApi);
    const lost = await screen.findByRole('alert', { name: 'Quorum lost: only a restore recovers' });
    expect(lost.textContent).toContain('1 of 3 voting members are up; 2 are needed');
    expect(lost.textContent).toContain('cannot elect a primary');
    await waitFor(() => expect(lost.textContent).toContain('The newest verified backup is 20250301-000000.aaaaaaaa-0000-4000-8000-000000000000'));
    expect(screen.queryByRole('slider')).toBeNull();
    fireEvent.click(within(lost).getByRole('link', { name: 'Go to Backups' }));
    expect(store.getState().section).toBe('backups');
  });

  it('explains shrinking and offers its first step, a backup', async () => {
    const api = haApi(THREE);
    await renderPage(api);
    const shrink = screen.getByRole('region', { name: 'Fewer state servers' });
    expect(shrink.textContent).toContain('cannot reduce state server count');
    expect(shrink.textContent).toContain('For step 2, use Restore this one on the Backups page (or open the archive on the Restore page)');
    fireEvent.click(within(shrink).getByRole('button', { name: 'Create backup' }));
    await waitFor(() => expect(calls(api, 'backups.create')).toEqual([{ environmentId: 'sandbox', notes: 'before reducing the number of state servers', keepLocal: true }]));
  });

  it('opens the recovery from the quorum banner when a voting state server is down', async () => {
    const api = haApi([server('0'), server('1'), server('2', { available: false, agentState: 'down' })]);
    api.setRecoveryPlan({ environmentId: 'sandbox', situation: 'recoverable', step: 1, failedMachineIds: ['2'], sentence: 'Ensure availability demotes machine 2.', waitFor: null, preview: null, removeMachineIds: [] });
    const { store } = await renderPage(api);
    const banner = await screen.findByRole('status', { name: 'Quorum' });
    expect(banner.textContent).toContain('2 of 3 voting members healthy');
    store.getState().navigate('topology');
    fireEvent.click(within(banner).getByRole('link', { name: 'Recover failed state servers' }));
    expect(store.getState().section).toBe('ha');
    expect(await screen.findByRole('region', { name: 'Recover from failed state servers' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Start recovery' })).toBeNull();
  });
});
