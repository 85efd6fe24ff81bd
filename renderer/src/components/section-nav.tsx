import type { SectionId } from '../store/slices/navigation-slice';
import { useAppStore } from '../store/store-context';
import type { Section } from '../features/sections';

/**
 * The sections as links (`#/backups`): Tab and Enter work as everywhere on
 * the web, the address reflects the section so a reload keeps it, and the
 * current one is marked `aria-current="page"`.
 */
export function SectionNav({ sections }: { sections: readonly Section[] }) {
  const current = useAppStore((state) => state.section);
  const navigate = useAppStore((state) => state.navigate);
  return (
    <nav aria-label="Sections" className="section-nav">
      <ul>
        {sections.map((section) => (
          <li key={section.id}>
            <a
              href={sectionHref(section.id)}
              className="section-link"
              aria-current={section.id === current ? 'page' : undefined}
              onClick={() => navigate(section.id)}
            >
              {section.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function sectionHref(id: SectionId): string {
  return `#/${id}`;
}
