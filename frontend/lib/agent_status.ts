// What the session view says about the agent and the connection: labels for their states, one clear
// message for whatever went wrong, and the agent's last turn timings. Plain strings in and out (the
// states are string enums and unions in livekit), so node tests need neither React nor the DOM.
import type { TurnTimings } from './agent_protocol.ts';

/** components-react's AgentState values. */
export const AGENT_STATES = [
  'disconnected',
  'connecting',
  'pre-connect-buffering',
  'initializing',
  'idle',
  'listening',
  'thinking',
  'speaking',
  'failed',
] as const;
export type AgentStateName = (typeof AGENT_STATES)[number];

/** livekit-client's ConnectionState values. */
export const CONNECTION_STATES = [
  'disconnected',
  'connecting',
  'connected',
  'reconnecting',
  'signalReconnecting',
] as const;
export type ConnectionStateName = (typeof CONNECTION_STATES)[number];

const AGENT_STATE_LABELS: Record<AgentStateName, string> = {
  disconnected: 'Not connected',
  connecting: 'Connecting…',
  'pre-connect-buffering': 'Getting ready…',
  initializing: 'Getting ready…',
  idle: 'Idle',
  listening: 'Listening',
  thinking: 'Thinking…',
  speaking: 'Speaking',
  failed: 'Unavailable',
};

const CONNECTION_STATE_LABELS: Record<ConnectionStateName, string> = {
  disconnected: 'Disconnected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  signalReconnecting: 'Reconnecting…',
};

const isOneOf = <T extends string>(values: readonly T[], value: string): value is T =>
  (values as readonly string[]).includes(value);

export function agentStateLabel(state: string): string {
  return isOneOf(AGENT_STATES, state) ? AGENT_STATE_LABELS[state] : state;
}

export function connectionStateLabel(state: string): string {
  return isOneOf(CONNECTION_STATES, state) ? CONNECTION_STATE_LABELS[state] : state;
}

/** Media or signalling dropped and livekit-client is trying to resume: the session may still recover. */
export function isReconnecting(connectionState: string): boolean {
  return connectionState === 'reconnecting' || connectionState === 'signalReconnecting';
}

export const RECONNECTING_MESSAGE = 'Connection lost — reconnecting…';

/** The `name` token_client gives its errors: their message is the token API's own, meant for people. */
export const TOKEN_ERROR_NAME = 'TokenRequestError';

// useAgent's failure reasons in components-react 2.9.24, worded for people here.
const AGENT_FAILURES: Record<string, string> = {
  'Agent did not join the room.': 'The avatar did not join in time. Try again in a moment.',
  'Agent joined the room but did not complete initializing.': 'The avatar joined but did not get ready in time.',
  'Agent left the room unexpectedly.': 'The avatar left the conversation.',
};

export function agentFailureMessage(reasons: readonly string[] | null | undefined): string {
  const reason = reasons?.[0];
  if (!reason) return 'The avatar is not available.';
  return AGENT_FAILURES[reason] ?? `The avatar is not available: ${reason}`;
}

// livekit DisconnectReason names for a room that closed on us; anything else is a lost connection.
const DISCONNECT_MESSAGES: Record<string, string> = {
  DUPLICATE_IDENTITY: 'You joined this conversation from another tab or device.',
  PARTICIPANT_REMOVED: 'You were removed from the conversation.',
  ROOM_DELETED: 'The conversation was closed.',
  ROOM_CLOSED: 'The conversation was closed.',
  SERVER_SHUTDOWN: 'The media server restarted.',
};

export const CONNECTION_LOST_MESSAGE = 'Connection lost. Check your network and join again.';

export function connectionLostMessage(reason?: string): string {
  return (reason ? DISCONNECT_MESSAGES[reason] : undefined) ?? CONNECTION_LOST_MESSAGE;
}

const errorName = (error: unknown) =>
  typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : '';
const errorText = (error: unknown) =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : String(error ?? 'unknown error');

// getUserMedia's DOMException names (and Chrome's older aliases).
const MICROPHONE_ERRORS: Record<string, string> = {
  NotAllowedError: 'Microphone access is blocked. Allow it in the browser to talk, or type instead.',
  PermissionDeniedError: 'Microphone access is blocked. Allow it in the browser to talk, or type instead.',
  SecurityError: 'This page may not use the microphone here (it needs HTTPS). You can still type.',
  NotFoundError: 'No microphone was found. You can still type.',
  DevicesNotFoundError: 'No microphone was found. You can still type.',
  NotReadableError: 'The microphone is in use by another app. You can still type.',
  TrackStartError: 'The microphone is in use by another app. You can still type.',
  OverconstrainedError: 'The chosen microphone is not available.',
};

/** A message when `error` is a microphone failure (the session itself may be fine), else undefined. */
export function microphoneErrorMessage(error: unknown): string | undefined {
  return MICROPHONE_ERRORS[errorName(error)];
}

/** A message when screen sharing failed; undefined when the person cancelled the browser's picker. */
export function screenShareErrorMessage(error: unknown): string | undefined {
  // Browsers report a cancelled picker as a refused permission.
  if (errorName(error) === 'NotAllowedError') return undefined;
  return `Screen sharing failed: ${errorText(error)}`;
}

/** Why joining failed: the token API's words when it refused, else what the connection attempt said. */
export function joinErrorMessage(error: unknown): string {
  const name = errorName(error);
  if (name === TOKEN_ERROR_NAME) return errorText(error);
  if (name === 'ConnectionError') return `Could not connect to the media server: ${errorText(error)}`;
  return `Could not join: ${errorText(error)}`;
}

export interface SessionStatus {
  connectionState: string;
  agentState: string;
  agentFailureReasons?: readonly string[] | null;
  /** Joining failed (token or connect). */
  joinError?: string;
  /** The room closed after it had connected, and not because the user left; a DisconnectReason name. */
  lostReason?: string;
  /** A device problem that leaves the session usable (microphone, screen share). */
  mediaWarning?: string;
}

/** An `error` ends the session (the user goes back to start); a `warning` may pass on its own. */
export interface SessionProblem {
  severity: 'error' | 'warning';
  message: string;
}

/** The one problem worth showing now, most serious first. */
export function sessionProblem(status: SessionStatus): SessionProblem | undefined {
  if (status.joinError) return { severity: 'error', message: status.joinError };
  if (status.lostReason !== undefined) return { severity: 'error', message: connectionLostMessage(status.lostReason) };
  if (isReconnecting(status.connectionState)) return { severity: 'warning', message: RECONNECTING_MESSAGE };
  if (status.agentState === 'failed') {
    return { severity: 'error', message: agentFailureMessage(status.agentFailureReasons) };
  }
  if (status.mediaWarning) return { severity: 'warning', message: status.mediaWarning };
  return undefined;
}

/** The stages of a turn in display order, with their labels. */
export const TURN_TIMING_ROWS: ReadonlyArray<{ key: keyof TurnTimings; label: string }> = [
  { key: 'totalMs', label: 'End of speech → first audio' },
  { key: 'endOfSpeechMs', label: 'End-of-turn detection' },
  { key: 'sttMs', label: 'Speech to text' },
  { key: 'llmFirstTokenMs', label: 'LLM first token' },
  { key: 'ttsFirstAudioMs', label: 'TTS first audio' },
  { key: 'avatarFirstFrameMs', label: 'Avatar first frame' },
];

/** The agent's TURN_TIMINGS_ATTRIBUTE: undefined unless it is a JSON object; fields that are not durations are dropped. */
export function parseTurnTimings(raw: string | undefined): TurnTimings | undefined {
  if (!raw) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const fields = json as Record<string, unknown>;
  const timings: TurnTimings = {};
  for (const { key } of TURN_TIMING_ROWS) {
    const value = fields[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) timings[key] = value;
  }
  return timings;
}
