'use client';

import type { ReceivedMessage } from '@livekit/components-react';
import { useId, useLayoutEffect, useRef } from 'react';

/** Within this distance of the bottom the list follows new text; further up, the reader is looking back. */
const FOLLOW_THRESHOLD_PX = 48;

type Speaker = 'user' | 'agent';

/**
 * Speech transcripts and typed chat, both ways. useSessionMessages files every remote transcript
 * under the agent, so a second person in the room is told apart by the participant itself.
 */
function speakerOf(message: ReceivedMessage): { from: Speaker; label: string } {
  const participant = message.from;
  if (participant?.isLocal) return { from: 'user', label: 'You' };
  if (participant === undefined ? message.type === 'agentTranscript' : participant.isAgent) {
    return { from: 'agent', label: 'Avatar' };
  }
  return { from: 'user', label: participant?.name || participant?.identity || 'Guest' };
}

export function Transcript({ messages }: { messages: ReceivedMessage[] }) {
  const listRef = useRef<HTMLOListElement>(null);
  const following = useRef(true);
  const headingId = useId();

  // biome-ignore lint/correctness/useExhaustiveDependencies: each new message is what should scroll the list.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && following.current) list.scrollTop = list.scrollHeight;
  }, [messages]);

  const onScroll = () => {
    const list = listRef.current;
    if (list) following.current = list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_THRESHOLD_PX;
  };

  return (
    <section className="transcript" aria-labelledby={headingId}>
      <h2 id={headingId} className="panel-heading">
        Transcript
      </h2>
      {messages.length === 0 && <p className="muted transcript-empty">Say hello, or type below.</p>}
      {/* role="log": new lines are announced politely, in order. */}
      <div role="log" aria-labelledby={headingId} className="transcript-log">
        <ol
          ref={listRef}
          className="transcript-list"
          data-testid="transcript"
          onScroll={onScroll}
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region has to be reachable by keyboard.
          tabIndex={0}
        >
          {messages.map((message) => {
            const { from, label } = speakerOf(message);
            return (
              <li
                key={message.id}
                className="message"
                data-testid="transcript-message"
                data-from={from}
                data-label={label}
              >
                {message.message}
              </li>
            );
          })}
        </ol>
      </div>
    </section>
  );
}
