'use client';

import { useRoomContext } from '@livekit/components-react';
import { type FormEvent, useId, useState } from 'react';
import { SAY_MAX_CHARS, SAY_RPC_METHOD } from '../lib/agent_protocol.ts';

/** How long the agent has to accept or refuse the text. */
const SAY_RESPONSE_TIMEOUT_MS = 10_000;

/** "Say this": the avatar speaks the exact text, or the agent says why it will not. */
export function SayBox({ agentIdentity }: { agentIdentity?: string }) {
  const room = useRoomContext();
  const [text, setText] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();
  const inputId = useId();
  const hintId = useId();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    // Only an empty box is held back: the agent is the judge of what it will say, and says why not.
    if (!agentIdentity || pending || text.length === 0) return;
    setPending(true);
    setError(undefined);
    try {
      await room.localParticipant.performRpc({
        destinationIdentity: agentIdentity,
        method: SAY_RPC_METHOD,
        payload: text,
        responseTimeout: SAY_RESPONSE_TIMEOUT_MS,
      });
      setText('');
    } catch (err) {
      // A refusal arrives as an RpcError whose message is the agent's reason.
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setPending(false);
    }
  };

  return (
    <form className="compose" onSubmit={submit}>
      <label htmlFor={inputId}>Say this</label>
      <p id={hintId} className="hint">
        The avatar speaks these exact words.
      </p>
      <div className="compose-row">
        <input
          id={inputId}
          data-testid="say-input"
          type="text"
          value={text}
          onChange={(event) => setText(event.target.value)}
          maxLength={SAY_MAX_CHARS}
          autoComplete="off"
          aria-describedby={hintId}
          placeholder="Words for the avatar"
        />
        <button
          type="submit"
          className="button"
          data-testid="say-send"
          disabled={!agentIdentity || pending || text.length === 0}
        >
          Say
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="say-error">
          {error}
        </p>
      )}
    </form>
  );
}
