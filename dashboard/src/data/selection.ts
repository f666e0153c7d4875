/** Rows ticked for a bulk action: one at a time, a shift-click range, or the whole page. */
import { useState } from 'react';

/** The ticked ids and the ways to change them. */
export interface RowSelection {
  selected: ReadonlySet<string>;
  /** Ticks or unticks `id`; with `range`, every row from the last one clicked takes the same state. */
  toggle: (id: string, range: boolean) => void;
  /** Ticks every row of the page, or unticks them when all are ticked. */
  togglePage: () => void;
  clear: () => void;
}

/** The next set after a click on `id` among `pageIds` (the rows in order). */
export function toggled(selected: ReadonlySet<string>, pageIds: string[], id: string, anchor: string | null): Set<string> {
  const next = new Set(selected);
  const on = !selected.has(id);
  const from = anchor === null ? -1 : pageIds.indexOf(anchor);
  const to = pageIds.indexOf(id);
  const ids = from === -1 || to === -1 ? [id] : pageIds.slice(Math.min(from, to), Math.max(from, to) + 1);
  for (const each of ids) {
    if (on) next.add(each);
    else next.delete(each);
  }
  return next;
}

/** The selection of a list showing `pageIds`; it empties whenever `scopeKey` (the filter) changes. */
export function useRowSelection(pageIds: string[], scopeKey: string): RowSelection {
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const [anchor, setAnchor] = useState<string | null>(null);
  const [key, setKey] = useState(scopeKey);
  if (key !== scopeKey) {
    setKey(scopeKey);
    setSelected(new Set());
    setAnchor(null);
  }
  return {
    selected,
    toggle: (id, range) => {
      setSelected((current) => toggled(current, pageIds, id, range ? anchor : null));
      setAnchor(id);
    },
    togglePage: () =>
      setSelected((current) => {
        const next = new Set(current);
        const all = pageIds.length > 0 && pageIds.every((id) => current.has(id));
        for (const id of pageIds) {
          if (all) next.delete(id);
          else next.add(id);
        }
        return next;
      }),
    clear: () => {
      setSelected(new Set());
      setAnchor(null);
    },
  };
}
