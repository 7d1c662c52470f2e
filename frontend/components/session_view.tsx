'use client';

import {
  RoomAudioRenderer,
  SessionProvider,
  type TrackReference,
  useAgent,
  useLocalParticipant,
  useSession,
  useSessionMessages,
} from '@livekit/components-react';
import { ConnectionState, DisconnectReason, RoomEvent, Track } from 'livekit-client';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { TURN_TIMINGS_ATTRIBUTE } from '../lib/agent_protocol.ts';
import {
  joinErrorMessage,
  microphoneErrorMessage,
  type SessionProblem,
  screenShareErrorMessage,
  sessionProblem,
} from '../lib/agent_status.ts';
import { createSessionTokenSource } from '../lib/token_client.ts';
import { AvatarTile } from './avatar_tile.tsx';
import { ChatBox } from './chat_box.tsx';
import { ConnectionIndicator } from './connection_indicator.tsx';
import { ControlBar, type MediaSource } from './control_bar.tsx';
import { ErrorBanner } from './error_banner.tsx';
import { InviteLink } from './invite_link.tsx';
import type { JoinChoices } from './join_view.tsx';
import { SayBox } from './say_box.tsx';
import { ScreenShareStage } from './screen_share_stage.tsx';
import { StartAudioButton } from './start_audio_button.tsx';
import { StatsOverlay } from './stats_overlay.tsx';
import { Transcript } from './transcript.tsx';

/** How long the avatar has to join and get ready before the session counts as failed. */
const AGENT_JOIN_TIMEOUT_MS = 30_000;

interface SessionViewProps {
  choices: JoinChoices;
  /** Back to the join screen; unmounting this view disconnects the room. */
  onExit: () => void;
}

export function SessionView({ choices, onExit }: SessionViewProps) {
  const [tokens] = useState(createSessionTokenSource);
  const session = useSession(tokens.source, {
    roomName: choices.roomName,
    participantName: choices.participantName || undefined,
    agentMetadata: JSON.stringify({ preset: choices.preset }),
    agentConnectTimeoutMilliseconds: AGENT_JOIN_TIMEOUT_MS,
  });
  // One useAgent per session: each instance (re)starts the shared join timeout when it mounts.
  const agent = useAgent(session);
  const { messages, send } = useSessionMessages(session);
  const { isScreenShareEnabled, localParticipant } = useLocalParticipant({ room: session.room });

  const [joinError, setJoinError] = useState<string>();
  const [lostReason, setLostReason] = useState<string>();
  const [mediaWarning, setMediaWarning] = useState<string>();
  const [statsOpen, setStatsOpen] = useState(false);
  const statsId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);

  const { start, room } = session;
  useEffect(() => {
    const controller = new AbortController();
    let started = false;
    // Deferred one task: React's development double mount cancels the first attempt before it begins.
    const timer = setTimeout(() => {
      started = true;
      start({ signal: controller.signal, tracks: { microphone: { enabled: true } } }).catch((error: unknown) => {
        if (controller.signal.aborted) return;
        // The room may well connect without a microphone: the person can still type and listen.
        const microphoneProblem = microphoneErrorMessage(error);
        if (microphoneProblem) setMediaWarning(microphoneProblem);
        else setJoinError(joinErrorMessage(error));
      });
    }, 0);
    return () => {
      clearTimeout(timer);
      if (!started) return;
      controller.abort();
      tokens.retire();
      // A connect still waiting for its token would otherwise finish after this view is gone.
      if (room.state !== ConnectionState.Connected) room.once(RoomEvent.Connected, () => void room.disconnect());
    };
  }, [start, room, tokens]);

  useEffect(() => {
    let connected = false;
    const onConnected = () => {
      connected = true;
    };
    const onDisconnected = (reason?: DisconnectReason) => {
      // This view never reconnects a closed room, so the token useSession fetches next (this
      // listener runs before its own) would only cost a request, or fail unhandled.
      tokens.retire();
      if (!connected || reason === DisconnectReason.CLIENT_INITIATED) return;
      setLostReason(reason === undefined ? '' : DisconnectReason[reason]);
    };
    room.on(RoomEvent.Connected, onConnected).on(RoomEvent.Disconnected, onDisconnected);
    return () => {
      room.off(RoomEvent.Connected, onConnected).off(RoomEvent.Disconnected, onDisconnected);
    };
  }, [room, tokens]);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const onMediaError = useCallback((source: MediaSource, error: Error) => {
    const message =
      source === 'microphone'
        ? (microphoneErrorMessage(error) ?? `The microphone failed: ${error.message}`)
        : screenShareErrorMessage(error);
    if (message) setMediaWarning(message);
  }, []);

  const problem: SessionProblem | undefined = sessionProblem({
    connectionState: session.connectionState,
    agentState: agent.state,
    agentFailureReasons: agent.failureReasons,
    joinError,
    lostReason,
    mediaWarning,
  });
  const dismissable = problem !== undefined && problem.severity === 'warning' && problem.message === mediaWarning;

  const screenSharePublication = isScreenShareEnabled
    ? localParticipant.getTrackPublication(Track.Source.ScreenShare)
    : undefined;
  const screenShare: TrackReference | undefined = screenSharePublication && {
    participant: localParticipant,
    publication: screenSharePublication,
    source: Track.Source.ScreenShare,
  };
  const avatar = (
    <AvatarTile trackRef={agent.cameraTrack} agentState={agent.state} compact={screenShare !== undefined} />
  );

  return (
    <SessionProvider session={session}>
      <div className="session" data-testid="session-view">
        <header className="session-header">
          <h1 ref={headingRef} tabIndex={-1} className="session-title">
            Avatar
          </h1>
          <ConnectionIndicator state={session.connectionState} />
          <InviteLink roomName={session.isConnected ? room.name : undefined} />
        </header>
        {problem && (
          <ErrorBanner
            problem={problem}
            onBack={problem.severity === 'error' ? onExit : undefined}
            onDismiss={dismissable ? () => setMediaWarning(undefined) : undefined}
          />
        )}
        <main className="session-main">
          <section className="stage" aria-label="Avatar">
            {screenShare ? <ScreenShareStage trackRef={screenShare}>{avatar}</ScreenShareStage> : avatar}
            {statsOpen && (
              <StatsOverlay
                id={statsId}
                trackRef={agent.cameraTrack}
                turnTimings={agent.attributes[TURN_TIMINGS_ATTRIBUTE]}
              />
            )}
            <StartAudioButton />
          </section>
          <aside className="side-panel" aria-label="Conversation">
            <Transcript messages={messages} />
            <ChatBox send={send} disabled={!session.isConnected} />
            <SayBox agentIdentity={agent.internal.agentParticipant?.identity} />
          </aside>
        </main>
        <ControlBar
          statsOpen={statsOpen}
          statsPanelId={statsId}
          onToggleStats={() => setStatsOpen((open) => !open)}
          onMediaError={onMediaError}
          onLeave={onExit}
        />
        <RoomAudioRenderer />
      </div>
    </SessionProvider>
  );
}
