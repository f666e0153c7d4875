import type { ReactNode } from 'react';
import { Modal } from './Modal';

/** Asks before an action on many tasks or a destructive one; Cancel has the focus so Enter does no harm. */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pending?: boolean;
  /** Whether the action destroys something (red button); true unless said otherwise. */
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Modal title={props.title} onClose={props.onCancel}>
      <div className="modal-body">{props.children}</div>
      <div className="modal-actions">
        <button type="button" className="btn" onClick={props.onCancel} data-autofocus>
          Cancel
        </button>
        <button type="button" className={props.danger === false ? 'btn btn-primary' : 'btn btn-danger'} onClick={props.onConfirm} disabled={props.pending}>
          {props.pending ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
