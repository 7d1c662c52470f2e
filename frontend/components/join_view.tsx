'use client';

import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { PresetName } from '../lib/presets.ts';
import { MAX_PARTICIPANT_NAME_CHARS } from '../lib/token_client.ts';

export interface JoinChoices {
  participantName: string;
  preset: PresetName;
  /** Set when joining an existing conversation from an invite link. */
  roomName?: string;
}

export const DEFAULT_PRESET_CHOICE: PresetName = 'assistant';

// Labels live here rather than in presets.ts so the presets' instructions stay out of the browser bundle;
// `satisfies` keeps the two lists in step.
const PRESET_LABELS = {
  assistant: 'Assistant — general help',
  tutor: 'Tutor — step by step',
  support: 'Support — fixes a problem',
  companion: 'Companion — relaxed chat',
} satisfies Record<PresetName, string>;

const PRESET_CHOICES = Object.keys(PRESET_LABELS) as PresetName[];

interface JoinViewProps {
  initial: JoinChoices;
  inviteRoom?: string;
  /** The page was opened with a `?room=` that is not a room name. */
  invalidInvite: boolean;
  /** Coming back from a session: put keyboard focus at the top of the form. */
  focusOnMount: boolean;
  onJoin: (choices: JoinChoices) => void;
}

export function JoinView({ initial, inviteRoom, invalidInvite, focusOnMount, onJoin }: JoinViewProps) {
  const [participantName, setParticipantName] = useState(initial.participantName);
  const [preset, setPreset] = useState<PresetName>(initial.preset);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const nameId = useId();
  const presetId = useId();
  const presetHintId = useId();

  useEffect(() => {
    if (focusOnMount) headingRef.current?.focus();
  }, [focusOnMount]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onJoin({ participantName: participantName.trim(), preset, roomName: inviteRoom });
  };

  return (
    <main className="join">
      <form className="join-card" data-testid="join-form" onSubmit={submit}>
        <h1 ref={headingRef} tabIndex={-1}>
          Talk to the avatar
        </h1>
        <p className="muted">
          A voice conversation with an AI agent that has a face. Your browser will ask to use the microphone; you can
          also type.
        </p>
        {inviteRoom && (
          <p className="join-invite">
            You were invited to the conversation <strong data-testid="join-room-name">{inviteRoom}</strong>.
          </p>
        )}
        {invalidInvite && (
          <p className="notice" role="alert">
            This invite link names no valid conversation; joining starts a new one.
          </p>
        )}
        <div className="field">
          <label htmlFor={nameId}>Your name</label>
          <input
            id={nameId}
            data-testid="join-name"
            type="text"
            value={participantName}
            onChange={(event) => setParticipantName(event.target.value)}
            maxLength={MAX_PARTICIPANT_NAME_CHARS}
            autoComplete="nickname"
            placeholder="Guest"
          />
        </div>
        <div className="field">
          <label htmlFor={presetId}>Avatar style</label>
          <select
            id={presetId}
            data-testid="join-preset"
            value={preset}
            onChange={(event) => setPreset(event.target.value as PresetName)}
            aria-describedby={inviteRoom ? presetHintId : undefined}
          >
            {PRESET_CHOICES.map((name) => (
              <option key={name} value={name}>
                {PRESET_LABELS[name]}
              </option>
            ))}
          </select>
          {inviteRoom && (
            <p id={presetHintId} className="hint">
              If the conversation is still running, its avatar keeps the style it has.
            </p>
          )}
        </div>
        <button type="submit" className="button button-primary" data-testid="join-button">
          {inviteRoom ? 'Join the conversation' : 'Start a conversation'}
        </button>
      </form>
    </main>
  );
}
