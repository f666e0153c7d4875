/** How values read on screen: local times, durations, payloads as text. */
import type { JsonValue, TaskStatus } from './services/types';

const localTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  timeZoneName: 'short',
});

const shortTime = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A full local date and time with milliseconds and the zone, or an em dash. */
export function formatLocal(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : localTime.format(date);
}

/** The local time of day, for dense lists. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : shortTime.format(date);
}

/** "just now", "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "in 4 s" for the future. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  const future = seconds < 0;
  const abs = Math.abs(seconds);
  if (abs < 2) return 'just now';
  const [value, unit] =
    abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.floor(abs / 60), 'min'] : abs < 86_400 ? [Math.floor(abs / 3600), 'h'] : [Math.floor(abs / 86_400), 'd'];
  return future ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}

/**
 * How long ago a past event happened: like {@link formatRelative}, but a time
 * slightly ahead of `now` (clock skew, rounding) reads "just now", never "in 4 s".
 */
export function formatAgo(iso: string, now: number = Date.now()): string {
  const at = new Date(iso).getTime();
  return formatRelative(Number.isNaN(at) ? iso : new Date(Math.min(at, now)).toISOString(), now);
}

/** A duration between two times: "850 ms", "2.4 s", "3 min 5 s"; null when either is missing. */
export function formatDuration(from: string | null | undefined, to: string | null | undefined): string | null {
  if (!from || !to) return null;
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (!Number.isFinite(ms) || ms < 0) return null;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A payload or result as text: strings as they are, anything else as indented JSON. */
export function jsonText(value: JsonValue | undefined, indent = 2): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, indent);
}

/** A one-line preview of a payload for the list. */
export function payloadPreview(value: JsonValue, max = 80): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** How a status reads to people. */
export const STATUS_LABEL: Record<TaskStatus, string> = {
  QUEUED: 'Queued',
  INPROGRESS: 'In progress',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
};

/** A count with thousands separators; compact past a million ("1.2M"). */
export function formatCount(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(value >= 10_000_000 ? 0 : 1)}M`;
  return value.toLocaleString('en-US');
}

/** A retention in seconds as words: "24 h", "7 d", "90 min", "45 s"; "forever" for null. */
export function formatKeep(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'forever';
  const units: [number, string][] = [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'min'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}
