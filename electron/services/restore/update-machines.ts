import type { MachineUpdateRow } from '../../../shared/ipc/channels/restore';
import { parseServiceRunning, type RemoteCommand } from '../../../shared/remote-commands';
import { QuorumError } from '../../../shared/errors';
import type { StateServerSession } from '../connection/state-server-session';
import { agentService, resetChangeVersions, rewriteAgentConfAddresses } from './agent-conf-rewrite';
import type { MachineToUpdate } from './restored-db';

/**
 * "Updating all machines" (reference §2.3, the 1.25 path): on every machine
 * that is not a state server and not dead, for every agent under
 * `/var/lib/juju/agents/*`: stop its job, rewrite the first
 * `stateaddresses`/`apiaddresses` host to the restored state server's
 * address (port kept; the original kept as `agent.conf.old` as sed -i.old
 * does), reset the unit's relation `change-version`s to 0, start the job.
 * Machines run in parallel; each ends in a row with Juju's line
 * (`Succesful update of machine "<id>"`, misspelling and all, or
 * `Update of machine "<id>" failed: <err>`) and the reason for a Retry.
 */

export type SessionFor = (address: string) => Promise<StateServerSession>;

const AGENTS = '/var/lib/juju/agents';

export function pendingRow(m: MachineToUpdate): MachineUpdateRow {
  return { machineId: m.machineId, address: m.address, state: 'pending', agents: [], message: null, reason: null, attempts: 0 };
}

async function text(session: StateServerSession, cmd: RemoteCommand, signal?: AbortSignal): Promise<string> {
  return (await session.run(cmd, signal ? { signal } : {})).toString('utf8');
}

/** Updates one machine; never throws: the outcome is the row. */
export async function updateMachine(
  m: MachineToUpdate,
  newAddress: string,
  sessionFor: SessionFor,
  attempts: number,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<MachineUpdateRow> {
  const agents: string[] = [];
  try {
    if (!m.address) throw new QuorumError('host-unreachable', 'no appropriate public address found');
    const session = await sessionFor(m.address);
    const confs = (await text(session, { kind: 'glob', pattern: `${AGENTS}/*/agent.conf` }, signal)).split('\n').filter(Boolean);
    for (const conf of confs) {
      const agent = conf.slice(AGENTS.length + 1, -'/agent.conf'.length);
      const service = agentService(agent);
      // 1.25 stops the job only when upstart's status says it runs (a stopped job's `stop` exits 1).
      if (service && parseServiceRunning(await text(session, { kind: 'service', service, action: 'status' }, signal))) {
        await session.run({ kind: 'service', service, action: 'stop' }, signal ? { signal } : {});
      }
      const before = await text(session, { kind: 'read-file', path: conf }, signal);
      const rewritten = rewriteAgentConfAddresses(before, newAddress);
      await session.run({ kind: 'write-file', path: `${conf}.old`, mode: 0o600 }, { stdin: before, ...(signal ? { signal } : {}) });
      await session.run({ kind: 'write-file', path: conf, mode: 0o600 }, { stdin: rewritten.text, ...(signal ? { signal } : {}) });
      const moved = (['stateaddresses', 'apiaddresses'] as const).map((k) => rewritten.changed[k]).filter((c) => c !== null);
      log(`machine ${m.machineId}: ${agent}/agent.conf ${moved.map((c) => `${c.from} → ${c.to}`).join(', ') || 'has no addresses to rewrite'}`);
      if (agent.startsWith('unit-')) {
        const files = (await text(session, { kind: 'glob', pattern: `${AGENTS}/${agent}/state/relations/*/*` }, signal)).split('\n').filter(Boolean);
        let reset = 0;
        for (const file of files) {
          const r = resetChangeVersions(await text(session, { kind: 'read-file', path: file }, signal));
          if (r.reset === 0) continue;
          await session.run({ kind: 'write-file', path: file, mode: 0o644 }, { stdin: r.text, ...(signal ? { signal } : {}) });
          reset += r.reset;
        }
        if (files.length > 0) log(`machine ${m.machineId}: ${agent} relation change-versions reset (${reset} of ${files.length} files)`);
      }
      if (service) await session.run({ kind: 'service', service, action: 'start' }, signal ? { signal } : {});
      agents.push(agent);
    }
    const message = `Succesful update of machine "${m.machineId}"`;
    log(message);
    return { machineId: m.machineId, address: m.address, state: 'succeeded', agents, message, reason: null, attempts };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `Update of machine "${m.machineId}" failed: ${reason}`;
    log(message);
    return { machineId: m.machineId, address: m.address, state: 'failed', agents, message, reason, attempts };
  }
}

/** Every machine in parallel; `onRow` sees each row as it starts and ends. */
export async function updateAllMachines(
  machines: readonly MachineToUpdate[],
  newAddress: string,
  sessionFor: SessionFor,
  onRow: (row: MachineUpdateRow) => void,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<MachineUpdateRow[]> {
  return Promise.all(
    machines.map(async (m) => {
      onRow({ ...pendingRow(m), state: 'running', attempts: 1 });
      const row = await updateMachine(m, newAddress, sessionFor, 1, log, signal);
      onRow(row);
      return row;
    }),
  );
}
