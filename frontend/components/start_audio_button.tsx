'use client';

import { useStartAudio } from '@livekit/components-react';

/** Shown only while the browser's autoplay rules keep the avatar's voice silent until a click. */
export function StartAudioButton() {
  const { mergedProps, canPlayAudio } = useStartAudio({ props: {} });
  if (canPlayAudio) return null;
  return (
    <button type="button" className="button button-primary start-audio" onClick={mergedProps.onClick}>
      Turn on the avatar’s sound
    </button>
  );
}
