/** Which task types nothing can run right now: remote types with no live worker asking for them. */
import type { TaskCounts, TaskTypeInfo } from '../services/types';
import { useCounts, useTypes } from './queries';

/** Each type that no worker serves and that has QUEUED tasks, with how many. */
export function unservedTypes(types: TaskTypeInfo[] | undefined, counts: TaskCounts | undefined): Map<string, number> {
  const unserved = new Map<string, number>();
  for (const type of types ?? []) {
    if (type.local || type.workers > 0) continue;
    const queued = counts?.by_type[type.name]?.QUEUED ?? 0;
    if (queued > 0) unserved.set(type.name, queued);
  }
  return unserved;
}

/** The unserved types, kept fresh by the polled types and the live counts. */
export function useUnservedTypes(): Map<string, number> {
  return unservedTypes(useTypes().data, useCounts().data);
}
