import { useEffect, useState, type RefObject } from 'react';
import { MIN_SEARCH } from '../services/tasks';
import type { TaskFilter } from '../services/types';

/**
 * How long typing must pause before the search is sent. Short enough to search
 * as a person types (it counts towards the 200 ms a search may take), long
 * enough to merge bursts such as key repeat; a search superseded meanwhile is
 * aborted, and the previous rows stay on screen until the new ones arrive.
 */
export const SEARCH_DELAY_MS = 60;

/** Whether `q` differs from the current search and is long enough to send (empty clears it). */
function isNewSearch(current: string | null | undefined, q: string): boolean {
  return (current ?? '') !== q && (q.length === 0 || q.length >= MIN_SEARCH);
}

/** Search, type and queue filters; the search is sent once typing pauses, or at once on Enter. */
export function FilterBar({
  filter,
  types,
  queues,
  searchRef,
  onChange,
}: {
  filter: TaskFilter;
  types: string[];
  queues: string[];
  searchRef?: RefObject<HTMLInputElement | null>;
  onChange: (filter: TaskFilter) => void;
}) {
  const [text, setText] = useState(filter.q ?? '');
  const [prevQ, setPrevQ] = useState(filter.q);
  if (prevQ !== filter.q) {
    // The filter changed from outside (back button, "clear"): show it.
    setPrevQ(filter.q);
    setText(filter.q ?? '');
  }

  useEffect(() => {
    const q = text.trim();
    if (!isNewSearch(filter.q, q)) return;
    const timer = setTimeout(() => onChange({ ...filter, q: q || null }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, filter, onChange]);

  const short = text.trim().length > 0 && text.trim().length < MIN_SEARCH;
  const any = Boolean(filter.status || filter.type || filter.queue || filter.q);
  return (
    <div className="filters" role="search">
      <label className="search">
        <svg viewBox="0 0 20 20" aria-hidden="true" className="search-icon">
          <circle cx="8.5" cy="8.5" r="5.5" fill="none" strokeWidth="2" />
          <path d="M13 13l4 4" strokeWidth="2" strokeLinecap="round" />
        </svg>
        <input
          ref={searchRef}
          type="search"
          aria-label="Search tasks by id or payload"
          value={text}
          placeholder="Search id or payload   /"
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            const q = text.trim();
            if (event.key === 'Enter' && isNewSearch(filter.q, q)) onChange({ ...filter, q: q || null });
          }}
          aria-describedby={short ? 'search-hint' : undefined}
        />
      </label>
      <label className="select">
        <select aria-label="Filter by type" value={filter.type ?? ''} onChange={(event) => onChange({ ...filter, type: event.target.value || null })}>
          <option value="">All types</option>
          {types.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </label>
      <label className="select">
        <select aria-label="Filter by queue" value={filter.queue ?? ''} onChange={(event) => onChange({ ...filter, queue: event.target.value || null })}>
          <option value="">All queues</option>
          {queues.map((queue) => (
            <option key={queue} value={queue}>
              {queue}
            </option>
          ))}
        </select>
      </label>
      {any && (
        <button type="button" className="btn btn-ghost btn-small" onClick={() => onChange({ status: null, type: null, queue: null, q: null })}>
          Clear filters
        </button>
      )}
      {short && (
        <p id="search-hint" className="field-help filters-hint">
          Type at least {MIN_SEARCH} characters to search.
        </p>
      )}
    </div>
  );
}
