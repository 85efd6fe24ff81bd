import { useState } from 'react';
import { ConnectionBanner } from './components/connection-banner';
import { OperationsTray } from './components/operations-tray';
import { SectionNav } from './components/section-nav';
import { EnvironmentProblem } from './features/environments/environment-problem';
import { EnvironmentSwitcher } from './features/environments/environment-switcher';
import { ManageEnvironmentsDialog } from './features/environments/manage-environments-dialog';
import { DropOverlay } from './features/restore/drop-overlay';
import { SECTIONS, type Section } from './features/sections';
import { useAppStore } from './store/store-context';

/**
 * The console's shell: header (product, environment switcher, operations),
 * section navigation, and the current section's page. Everything it shows
 * comes from the store; it never talks to the host itself.
 */
export function App({ sections = SECTIONS }: { sections?: readonly Section[] }) {
  const sectionId = useAppStore((state) => state.section);
  const [managing, setManaging] = useState(false);
  const section = sections.find((candidate) => candidate.id === sectionId) ?? sections[0];

  return (
    <div className="app">
      <a href="#main" className="skip-link" onClick={(event) => {
        event.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        Skip to content
      </a>
      <header className="app-header">
        <p className="app-title">Quorum</p>
        <EnvironmentSwitcher />
        <button type="button" className="button" onClick={() => setManaging(true)}>
          Manage environments
        </button>
        <div className="header-spacer" />
        <OperationsTray />
      </header>
      <ConnectionBanner />
      <div className="app-body">
        <SectionNav sections={sections} />
        <main id="main" className="app-main" tabIndex={-1}>
          <EnvironmentProblem />
          {section === undefined ? null : (
            <>
              <h1 className="page-title">{section.label}</h1>
              <section.Page />
            </>
          )}
        </main>
      </div>
      {managing ? <ManageEnvironmentsDialog onClose={() => setManaging(false)} /> : null}
      <DropOverlay />
    </div>
  );
}
