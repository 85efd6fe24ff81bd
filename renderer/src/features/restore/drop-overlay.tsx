import { useEffect, useState } from 'react';
import { useAppStore } from '../../store/store-context';
import { dragHasFiles, droppedItems } from './dropped-files';

/**
 * Drop anywhere: while files are dragged over the window, a full-window
 * target says what dropping does; a drop opens the Restore page with the
 * archive (or says why it was refused). Drags that carry no files (text, a
 * link within the page) are left alone.
 */
export function DropOverlay() {
  const openDropped = useAppStore((s) => s.openDroppedFiles);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    // dragenter/dragleave fire for every child crossed: count them.
    let depth = 0;
    const onEnter = (event: DragEvent) => {
      if (!dragHasFiles(event.dataTransfer)) return;
      event.preventDefault();
      depth += 1;
      setDragging(true);
    };
    const onOver = (event: DragEvent) => {
      if (!dragHasFiles(event.dataTransfer)) return;
      event.preventDefault();
      if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy';
      setDragging(true);
    };
    const onLeave = (event: DragEvent) => {
      if (!dragHasFiles(event.dataTransfer)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0 || event.relatedTarget === null) {
        depth = 0;
        setDragging(false);
      }
    };
    const onDrop = (event: DragEvent) => {
      if (!dragHasFiles(event.dataTransfer)) return;
      // Never let the browser navigate to the dropped file.
      event.preventDefault();
      depth = 0;
      setDragging(false);
      void openDropped(droppedItems(event.dataTransfer));
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, [openDropped]);

  if (!dragging) return null;
  return (
    <div className="drop-overlay" role="region" aria-label="Drop target" aria-live="assertive">
      <div className="drop-overlay-card">
        <p className="drop-overlay-title">Drop a Juju backup to restore from it</p>
        <p>A .tar.gz or .tgz archive (juju-backup-*.tar.gz). Quorum inspects it first; nothing is touched until you start the restore.</p>
      </div>
    </div>
  );
}
