'use client';

import { type FormEvent, useId, useState } from 'react';
import { CHAT_MAX_CHARS } from '../lib/agent_protocol.ts';

interface ChatBoxProps {
  /** useSessionMessages' send: a chat message on topic lk.chat, which the agent answers. */
  send: (text: string) => Promise<unknown>;
  disabled: boolean;
}

export function ChatBox({ send, disabled }: ChatBoxProps) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string>();
  const inputId = useId();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const message = text.trim();
    if (!message || sending || disabled) return;
    setSending(true);
    setError(undefined);
    try {
      await send(message);
      setText('');
    } catch (err) {
      setError(`Could not send: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setSending(false);
    }
  };

  return (
    <form className="compose" onSubmit={submit}>
      <label htmlFor={inputId}>Message the avatar</label>
      <div className="compose-row">
        <input
          id={inputId}
          data-testid="chat-input"
          type="text"
          value={text}
          onChange={(event) => setText(event.target.value)}
          maxLength={CHAT_MAX_CHARS}
          autoComplete="off"
          placeholder="Type a message"
        />
        <button
          type="submit"
          className="button button-primary"
          data-testid="chat-send"
          disabled={disabled || sending || !text.trim()}
        >
          Send
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
