import { describe, expect, test } from 'vitest';
import { turnTimings } from '../src/turn_timings.ts';

describe('turn timings', () => {
  test('a spoken turn has every stage, in whole milliseconds', () => {
    const user = { endOfTurnDelay: 0.5123, transcriptionDelay: 0.2 };
    const agent = { llmNodeTtft: 0.3456, ttsNodeTtfb: 0.1, e2eLatency: 1.2 };
    expect(turnTimings(user, agent, 33.4)).toEqual({
      endOfSpeechMs: 512,
      sttMs: 200,
      llmFirstTokenMs: 346,
      ttsFirstAudioMs: 100,
      avatarFirstFrameMs: 33,
      totalMs: 1200,
    });
  });

  test('a greeting has only the stages it went through', () => {
    expect(turnTimings(undefined, { ttsNodeTtfb: 0.05 })).toEqual({ ttsFirstAudioMs: 50 });
  });
});
