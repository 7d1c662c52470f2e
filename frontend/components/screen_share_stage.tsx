'use client';

import { type TrackReference, VideoTrack } from '@livekit/components-react';
import type { ReactNode } from 'react';

interface ScreenShareStageProps {
  /** The local screen share. */
  trackRef: TrackReference;
  /** The avatar, shown picture-in-picture. */
  children: ReactNode;
}

export function ScreenShareStage({ trackRef, children }: ScreenShareStageProps) {
  return (
    <div className="screen-share-stage">
      <VideoTrack trackRef={trackRef} className="screen-share-video" aria-label="Your shared screen" />
      <div className="picture-in-picture">{children}</div>
    </div>
  );
}
