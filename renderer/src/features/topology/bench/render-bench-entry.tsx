import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { EventChannel, EventOf, QuorumApi } from '../../../../../shared/ipc/contract';
import { syntheticTopology } from '../../../../../shared/model/synthetic-topology';
import type { TopologySnapshot } from '../../../../../shared/model/topology-snapshot';
import { createAppStore } from '../../../store/create-app-store';
import { AppStoreProvider } from '../../../store/store-context';
import { refreshAll, startSubscriptions } from '../../../store/subscriptions';
import '../../../styles/tokens.css';
import '../../../styles/base.css';
import '../../../styles/shell.css';
import { TopologyPage } from '../topology-page';

/**
 * The benchmark page (`bench/topology-render.ts`): the real Topology page
 * and store over an in-page API serving a 1,000-machine environment, with
 * `window.quorumBench.update(i)` pushing `topology.changed` the way main
 * does. Never part of the app build.
 */

const MACHINES = 1000;
const STATE_SERVERS = 7;

function snapshotFor(step: number): TopologySnapshot {
  // Each step changes a few members: lag on two secondaries, one state server
  // down every third step (a failover when it is the primary), and the
  // agents of three workload machines.
  const lag: Record<string, number> = { [String(1 + (step % 6))]: step % 5, [String(1 + ((step + 3) % 6))]: (step * 2) % 7 };
  const down = step % 3 === 2 ? [String(step % STATE_SERVERS)] : [];
  const agentsDown = [0, 1, 2].map((k) => String(STATE_SERVERS + ((step * 37 + k * 101) % (MACHINES - STATE_SERVERS))));
  const topology = syntheticTopology({ machines: MACHINES, stateServers: STATE_SERVERS, lag, down, agentsDown, observedAt: new Date().toISOString() });
  return { environmentId: 'sandbox', status: 'ready', topology, error: null };
}

const listeners = new Map<string, Set<(payload: unknown) => void>>();
let current = snapshotFor(0);

const api: QuorumApi = {
  async invoke(channel, _request) {
    switch (channel) {
      case 'app.info':
        return { ok: true, value: { version: 'bench', host: 'browser', platform: 'bench', quorumHome: '/bench' } } as never;
      case 'environments.list':
        return {
          ok: true,
          value: {
            environments: [
              { id: 'sandbox', name: 'sandbox', kind: 'sandbox', source: null, stateServers: [], sshUser: 'ubuntu', sshPort: 22, keyFile: null, environUuid: null, current: true, error: null },
            ],
            selectedId: 'sandbox',
          },
        } as never;
      case 'operations.list':
        return { ok: true, value: { operations: [] } } as never;
      case 'topology.get':
      case 'topology.watch':
        return { ok: true, value: current } as never;
      case 'connection.status':
        return { ok: true, value: { environmentId: 'sandbox', stateServers: [] } } as never;
      default:
        return { ok: false, error: { code: 'not-found', message: `${channel} is not part of the benchmark.` } };
    }
  },
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void) {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    set.add(listener as (payload: unknown) => void);
    return () => set.delete(listener as (payload: unknown) => void);
  },
};

declare global {
  interface Window {
    quorumBench: { prepare(step: number): void; apply(): void; ready: boolean };
  }
}

let frame = '';
window.quorumBench = {
  ready: false,
  /** Builds the next snapshot as main would send it (a JSON frame); not renderer work, so done in its own task. */
  prepare(step) {
    frame = JSON.stringify(snapshotFor(step));
  },
  /** What the renderer does when the frame arrives: parse it and hand the event to the store. */
  apply() {
    current = JSON.parse(frame) as TopologySnapshot;
    for (const listener of listeners.get('topology.changed') ?? []) listener(current);
  },
};

const store = createAppStore(api);
startSubscriptions(store, api);
void refreshAll(store).then(async () => {
  // Render in a task of its own, apart from this module's evaluation (which builds the bench data).
  await new Promise((resolve) => setTimeout(resolve, 0));
  const container = document.getElementById('root');
  if (container === null) return;
  createRoot(container).render(
    <StrictMode>
      <AppStoreProvider store={store}>
        <main>
          <TopologyPage />
        </main>
      </AppStoreProvider>
    </StrictMode>,
  );
  window.quorumBench.ready = true;
});
