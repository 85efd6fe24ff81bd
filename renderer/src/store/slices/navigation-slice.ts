import type { SliceFactory } from '../app-state';

/** The console's sections, in navigation order. */
export const SECTION_IDS = ['topology', 'backups', 'restore', 'ha'] as const;
export type SectionId = (typeof SECTION_IDS)[number];

export function isSectionId(value: unknown): value is SectionId {
  return typeof value === 'string' && (SECTION_IDS as readonly string[]).includes(value);
}

export interface NavigationSlice {
  readonly section: SectionId;
  navigate(section: SectionId): void;
}

export const createNavigationSlice: SliceFactory<NavigationSlice> = () => (set) => ({
  section: 'topology',
  navigate: (section) => set({ section }),
});
