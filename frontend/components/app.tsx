'use client';

import { useState } from 'react';
import { isValidRoomName } from '../lib/token_client.ts';
import { DEFAULT_PRESET_CHOICE, type JoinChoices, JoinView } from './join_view.tsx';
import { SessionView } from './session_view.tsx';

export function App({ inviteRoom }: { inviteRoom?: string }) {
  const invite = inviteRoom !== undefined && isValidRoomName(inviteRoom) ? inviteRoom : undefined;
  // Kept across sessions so that going back to start offers the same choices again.
  const [choices, setChoices] = useState<JoinChoices>({
    participantName: '',
    preset: DEFAULT_PRESET_CHOICE,
    roomName: invite,
  });
  const [inSession, setInSession] = useState(false);
  const [hasLeft, setHasLeft] = useState(false);

  if (inSession) {
    return (
      <SessionView
        choices={choices}
        onExit={() => {
          setInSession(false);
          setHasLeft(true);
        }}
      />
    );
  }
  return (
    <JoinView
      initial={choices}
      inviteRoom={invite}
      invalidInvite={inviteRoom !== undefined && invite === undefined}
      focusOnMount={hasLeft}
      onJoin={(next) => {
        setChoices(next);
        setInSession(true);
      }}
    />
  );
}
