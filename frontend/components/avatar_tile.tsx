'use client';

import { type TrackReference, VideoTrack } from '@livekit/components-react';
import { AgentStateBadge } from './agent_state_badge.tsx';

interface AvatarTileProps {
  /** The agent's camera track, once it publishes one. */
  trackRef?: TrackReference;
  agentState: string;
  /** Shown small, beside a shared screen. */
  compact: boolean;
}

export function AvatarTile({ trackRef, agentState, compact }: AvatarTileProps) {
  return (
    <div className={compact ? 'avatar-tile avatar-tile-compact' : 'avatar-tile'} data-testid="avatar-tile">
      {trackRef ? (
        <VideoTrack trackRef={trackRef} className="avatar-video" playsInline aria-label="The avatar's face" />
      ) : (
        <p className="avatar-placeholder">
          {agentState === 'failed' ? 'The avatar is not here.' : 'Waiting for the avatar…'}
        </p>
      )}
      <AgentStateBadge state={agentState} />
    </div>
  );
}
