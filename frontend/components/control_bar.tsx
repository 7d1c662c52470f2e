'use client';

import { useTrackToggle } from '@livekit/components-react';
import { Track } from 'livekit-client';
import { useEffect, useState } from 'react';
import { MicDeviceSelect } from './mic_device_select.tsx';

export type MediaSource = 'microphone' | 'screen';

interface ControlBarProps {
  statsOpen: boolean;
  /** The id of the stats panel the stats button opens. */
  statsPanelId: string;
  onToggleStats: () => void;
  onMediaError: (source: MediaSource, error: Error) => void;
  onLeave: () => void;
}

export function ControlBar({ statsOpen, statsPanelId, onToggleStats, onMediaError, onLeave }: ControlBarProps) {
  const microphone = useTrackToggle({
    source: Track.Source.Microphone,
    onDeviceError: (error) => onMediaError('microphone', error),
  });
  const screen = useTrackToggle({
    source: Track.Source.ScreenShare,
    captureOptions: { audio: false },
    onDeviceError: (error) => onMediaError('screen', error),
  });
  // Phones have no screen capture; known only in the browser, so decided after hydration.
  const [canShareScreen, setCanShareScreen] = useState(false);
  useEffect(() => {
    setCanShareScreen(typeof navigator.mediaDevices?.getDisplayMedia === 'function');
  }, []);

  return (
    <div className="control-bar" role="toolbar" aria-label="Call controls">
      <button
        type="button"
        className="button toggle"
        data-testid="mic-toggle"
        aria-pressed={microphone.enabled}
        disabled={microphone.pending}
        onClick={() => void microphone.toggle()}
      >
        <span className="toggle-dot" aria-hidden="true" />
        Microphone
      </button>
      {/* Mounted anew once the microphone is live: device names are only readable after permission. */}
      <MicDeviceSelect
        key={microphone.enabled ? 'live' : 'off'}
        onError={(error) => onMediaError('microphone', error)}
      />
      <button
        type="button"
        className="button toggle"
        data-testid="screen-share-toggle"
        aria-pressed={screen.enabled}
        disabled={!canShareScreen || screen.pending}
        title={canShareScreen ? undefined : 'This browser cannot share its screen'}
        onClick={() => void screen.toggle()}
      >
        <span className="toggle-dot" aria-hidden="true" />
        Share screen
      </button>
      <button
        type="button"
        className="button toggle"
        data-testid="stats-toggle"
        aria-pressed={statsOpen}
        aria-controls={statsOpen ? statsPanelId : undefined}
        onClick={onToggleStats}
      >
        <span className="toggle-dot" aria-hidden="true" />
        Stats
      </button>
      <button type="button" className="button button-danger" data-testid="leave-button" onClick={onLeave}>
        Leave
      </button>
    </div>
  );
}
