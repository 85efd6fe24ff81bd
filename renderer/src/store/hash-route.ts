import type { AppStore } from './create-app-store';
import { isSectionId, type SectionId } from './slices/navigation-slice';

/** `#/backups` → `backups`; anything else → null. */
export function sectionFromHash(hash: string): SectionId | null {
  const id = hash.replace(/^#\/?/, '');
  return isSectionId(id) ? id : null;
}

/**
 * Keeps the current section and the URL's hash in step, so a reload (or the
 * back button) returns to the same section. The hash leaves the query, with
 * browser mode's token, untouched.
 */
export function startHashSync(store: AppStore, target: Window = window): () => void {
  const fromHash = () => {
    const section = sectionFromHash(target.location.hash);
    if (section !== null && section !== store.getState().section) store.getState().navigate(section);
  };
  fromHash();
  target.addEventListener('hashchange', fromHash);
  const unsubscribe = store.subscribe(
    (state) => state.section,
    (section) => {
      if (sectionFromHash(target.location.hash) !== section) target.history.replaceState(null, '', `#/${section}`);
    },
  );
  return () => {
    target.removeEventListener('hashchange', fromHash);
    unsubscribe();
  };
}
