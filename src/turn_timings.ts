// Per-turn stage timings, taken from the metrics agents attaches to each chat message, logged per
// turn and published as a participant attribute so a frontend can show where the time went.

import { type llm, type log, voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';

/** Agent participant attribute holding the last turn's timings as JSON. */
export const TURN_TIMINGS_ATTRIBUTE = 'avatar.turn_timings';

/** Milliseconds; a stage is absent when the turn did not go through it (e.g. a greeting has no STT). */
export interface TurnTimings {
  endOfSpeechMs?: number;
  sttMs?: number;
  llmFirstTokenMs?: number;
  ttsFirstAudioMs?: number;
  /** From the reply's first audio reaching the avatar to its first lip-synced frame on air. */
  avatarFirstFrameMs?: number;
  totalMs?: number;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : Math.round(seconds * 1000));

export function turnTimings(
  user: llm.MetricsReport | undefined,
  agent: llm.MetricsReport,
  avatarFirstFrameMs?: number,
): TurnTimings {
  const timings: TurnTimings = {
    endOfSpeechMs: ms(user?.endOfTurnDelay),
    sttMs: ms(user?.transcriptionDelay),
    llmFirstTokenMs: ms(agent.llmNodeTtft),
    ttsFirstAudioMs: ms(agent.ttsNodeTtfb),
    avatarFirstFrameMs: avatarFirstFrameMs === undefined ? undefined : Math.round(avatarFirstFrameMs),
    totalMs: ms(agent.e2eLatency),
  };
  return Object.fromEntries(Object.entries(timings).filter(([, v]) => v !== undefined));
}

export interface TurnReporting {
  /** The avatar's latency for the utterance it played last (none without an avatar). */
  avatarLatency?: () => number | undefined;
  /** Also called with each turn's timings (metrics). */
  onTurn?: (timings: TurnTimings) => void;
}

export function reportTurnTimings(
  session: voice.AgentSession,
  room: Room,
  logger: ReturnType<typeof log>,
  { avatarLatency = () => undefined, onTurn }: TurnReporting = {},
): void {
  let lastUser: llm.MetricsReport | undefined;
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, ({ item }) => {
    if (item.type !== 'message') return;
    if (item.role === 'user') {
      lastUser = item.metrics;
      return;
    }
    if (item.role !== 'assistant') return;
    const timings = turnTimings(lastUser, item.metrics, avatarLatency());
    lastUser = undefined;
    logger.info({ turn: timings, interrupted: item.interrupted }, 'turn timings');
    onTurn?.(timings);
    room.localParticipant
      ?.setAttributes({ [TURN_TIMINGS_ATTRIBUTE]: JSON.stringify(timings) })
      .catch((err: unknown) => logger.warn({ err }, 'could not publish turn timings'));
  });
}
