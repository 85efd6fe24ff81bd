import type { ComponentType } from 'react';
import { NotAvailable } from '../components/not-available';
import { TopologyPage } from './topology/topology-page';
import { BackupsPage } from './backups/backups-page';
import { HaPage } from './ha/ha-page';
import type { SectionId } from '../store/slices/navigation-slice';

export interface Section {
  readonly id: SectionId;
  /** The navigation label, also the page's heading. */
  readonly label: string;
  readonly Page: ComponentType;
}

const notYet = (feature: string): ComponentType =>
  function SectionNotAvailable() {
    return <NotAvailable feature={feature} />;
  };

/**
 * The console's sections in navigation order. A feature replaces its
 * placeholder here with its page, e.g.
 * `{ id: 'topology', label: 'Topology', Page: TopologyPage }`.
 */
export const SECTIONS: readonly Section[] = [
  { id: 'topology', label: 'Topology', Page: TopologyPage },
  { id: 'backups', label: 'Backups', Page: BackupsPage },
  { id: 'restore', label: 'Restore', Page: notYet('Restore') },
  { id: 'ha', label: 'High availability', Page: HaPage },
];
