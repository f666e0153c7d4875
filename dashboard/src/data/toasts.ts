/** Toast messages: errors and confirmations of what an action did. */
import { createStore } from './store';

/** One toast. */
export interface Toast {
  id: number;
  tone: 'error' | 'success';
  message: string;
}

/** The toasts on screen, oldest first. */
export const toastStore = createStore<Toast[]>([]);

let nextId = 1;
const LIFETIME_MS = { error: 8000, success: 4000 } as const;

/** Shows a toast; the same message already on screen is not repeated. */
export function pushToast(tone: Toast['tone'], message: string): void {
  if (toastStore.get().some((toast) => toast.message === message)) return;
  const id = nextId++;
  toastStore.set((toasts) => [...toasts.slice(-3), { id, tone, message }]);
  setTimeout(() => {
    dismissToast(id);
  }, LIFETIME_MS[tone]);
}

/** Removes a toast. */
export function dismissToast(id: number): void {
  toastStore.set((toasts) => toasts.filter((toast) => toast.id !== id));
}
