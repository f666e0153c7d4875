import { useState } from 'react';
import { Modal } from './Modal';

/** Asks for the API token when the server answers 401; it is kept for this tab only. */
export function TokenPrompt({ reason, hadToken, onSubmit }: { reason: string; hadToken: boolean; onSubmit: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <Modal title="API token required" onClose={() => undefined}>
      <form
        className="modal-body"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) onSubmit(token.trim());
        }}
      >
        <p>
          {hadToken ? 'The server refused the token you gave.' : 'This server was started with --api-token.'} Enter the token
          to continue; it is kept in this browser tab only.
        </p>
        <p className="muted small">Server said: {reason}</p>
        <label className="field">
          <span className="field-label">Token</span>
          <input
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(event) => setToken(event.target.value)}
            data-autofocus
            required
          />
        </label>
        <div className="modal-actions">
          <button type="submit" className="btn btn-primary" disabled={!token.trim()}>
            Continue
          </button>
        </div>
      </form>
    </Modal>
  );
}
