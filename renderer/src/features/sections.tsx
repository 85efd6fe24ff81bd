import type { ComponentType } from 'react';
import { TopologyPage } from './topology/topology-page';
import { BackupsPage } from './backups/backups-page';
import { HaPage } from './ha/ha-page';
import { RestorePage } from './restore/restore-page';
import type { SectionId } from '../store/slices/navigation-slice';

export interface Section {
  readonly id: SectionId;
  /** The navigation label, also the page's heading. */
  readonly label: string;
  readonly Page: ComponentType;
}

/**
 * The console's sections in navigation order, each with its page (a feature
 * not built yet shows `components/not-available.tsx` instead).
 */
export const SECTIONS: readonly Section[] = [
  { id: 'topology', label: 'Topology', Page: TopologyPage },
  { id: 'backups', label: 'Backups', Page: BackupsPage },
  { id: 'restore', label: 'Restore', Page: RestorePage },
  { id: 'ha', label: 'High availability', Page: HaPage },
];
