/**
 * The page for a section whose feature is not in this build yet. It says so
 * plainly: Quorum never shows placeholder data that could be mistaken for
 * the state of a real environment.
 */
export function NotAvailable({ feature }: { feature: string }) {
  return (
    <div className="empty-state">
      <p>{feature} is not available yet in this build.</p>
    </div>
  );
}
