/** Says that no worker serves a task type, so its queued tasks will wait until one asks for it. */
export function UnservedNote({ type, queued, compact = false }: { type: string; queued?: number; compact?: boolean }) {
  const why = `No worker serves ${type}: it is not run by this server and no remote worker asking for it is live.`;
  if (compact) {
    return (
      <span className="tag tag-warn" title={why} data-testid="unserved">
        no worker
      </span>
    );
  }
  return (
    <li className="unserved" data-testid="unserved">
      <strong>{type}</strong>: {queued?.toLocaleString('en-US')} queued, no worker serves it. They wait until a remote worker asks for {type}.
    </li>
  );
}
