// What the web app and the agent worker agree on. The worker's side lives in src/say_rpc.ts and
// src/turn_timings.ts; test/web_protocol.test.ts keeps the two in step.

/** RPC the agent registers: the payload is the exact text for the avatar to speak. */
export const SAY_RPC_METHOD = 'avatar.say';

/** Longest text the agent accepts for "Say this" (characters, after control characters are stripped). */
export const SAY_MAX_CHARS = 500;

/** Longest typed chat message the agent answers (characters). */
export const CHAT_MAX_CHARS = 2000;

/** Agent participant attribute holding the last turn's stage timings as JSON (milliseconds). */
export const TURN_TIMINGS_ATTRIBUTE = 'avatar.turn_timings';

/** A stage is absent when the turn did not go through it (a greeting has no speech recognition). */
export interface TurnTimings {
  endOfSpeechMs?: number;
  sttMs?: number;
  llmFirstTokenMs?: number;
  ttsFirstAudioMs?: number;
  avatarFirstFrameMs?: number;
  totalMs?: number;
}
