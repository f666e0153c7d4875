import type { ReactNode } from 'react';
import { Modal } from './Modal';

/** Asks before a destructive action; Cancel has the focus so Enter does no harm. */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pending?: boolean;
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
        <button type="button" className="btn btn-danger" onClick={props.onConfirm} disabled={props.pending}>
          {props.pending ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
