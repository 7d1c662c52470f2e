import { describe, expect, test } from 'vitest';
import {
  AGENT_STATES,
  agentFailureMessage,
  agentStateLabel,
  CONNECTION_LOST_MESSAGE,
  CONNECTION_STATES,
  connectionLostMessage,
  connectionStateLabel,
  isReconnecting,
  joinErrorMessage,
  microphoneErrorMessage,
  parseTurnTimings,
  RECONNECTING_MESSAGE,
  type SessionStatus,
  screenShareErrorMessage,
  sessionProblem,
  TOKEN_ERROR_NAME,
} from '../frontend/lib/agent_status.ts';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('state labels', () => {
  test('every agent and connection state has a label of its own words', () => {
    for (const state of AGENT_STATES) expect(agentStateLabel(state)).not.toBe(state);
    for (const state of CONNECTION_STATES) expect(connectionStateLabel(state)).not.toBe(state);
    expect(agentStateLabel('speaking')).toBe('Speaking');
    expect(connectionStateLabel('signalReconnecting')).toBe('Reconnecting…');
  });

  test('a state a newer library adds shows as itself', () => {
    expect(agentStateLabel('dreaming')).toBe('dreaming');
    expect(connectionStateLabel('teleporting')).toBe('teleporting');
  });

  test('both kinds of reconnect count as reconnecting', () => {
    expect(isReconnecting('reconnecting')).toBe(true);
    expect(isReconnecting('signalReconnecting')).toBe(true);
    expect(isReconnecting('connected')).toBe(false);
  });
});

describe('error messages', () => {
  test("a token failure shows the API's own words", () => {
    expect(joinErrorMessage(named(TOKEN_ERROR_NAME, 'Too many requests; try again in a minute.'))).toBe(
      'Too many requests; try again in a minute.',
    );
  });

  test('other join failures say what failed', () => {
    expect(joinErrorMessage(named('ConnectionError', 'could not establish signal connection'))).toBe(
      'Could not connect to the media server: could not establish signal connection',
    );
    expect(joinErrorMessage(new Error('boom'))).toBe('Could not join: boom');
    expect(joinErrorMessage('odd')).toBe('Could not join: odd');
  });

  test("the agent's failure reasons become sentences for people", () => {
    expect(agentFailureMessage(['Agent did not join the room.'])).toMatch(/^The avatar did not join in time/);
    expect(agentFailureMessage(['Agent left the room unexpectedly.'])).toBe('The avatar left the conversation.');
    expect(agentFailureMessage(['Something new.'])).toBe('The avatar is not available: Something new.');
    expect(agentFailureMessage(null)).toBe('The avatar is not available.');
  });

  test('a closed room names why; any other drop is a lost connection', () => {
    expect(connectionLostMessage('DUPLICATE_IDENTITY')).toMatch(/another tab/);
    expect(connectionLostMessage('SIGNAL_CLOSE')).toBe(CONNECTION_LOST_MESSAGE);
    expect(connectionLostMessage()).toBe(CONNECTION_LOST_MESSAGE);
    expect(connectionLostMessage('')).toBe(CONNECTION_LOST_MESSAGE);
  });

  test('microphone failures are told apart from other errors', () => {
    expect(microphoneErrorMessage(named('NotAllowedError', 'Permission denied'))).toMatch(/blocked/);
    expect(microphoneErrorMessage(named('NotFoundError', 'Requested device not found'))).toMatch(/No microphone/);
    expect(microphoneErrorMessage(new Error('boom'))).toBeUndefined();
    expect(microphoneErrorMessage(undefined)).toBeUndefined();
  });

  test('a cancelled screen picker is no error; other screen share failures say why', () => {
    expect(screenShareErrorMessage(named('NotAllowedError', 'Permission denied by user'))).toBeUndefined();
    expect(screenShareErrorMessage(named('NotReadableError', 'Could not start video source'))).toBe(
      'Screen sharing failed: Could not start video source',
    );
  });
});

describe('the problem to show', () => {
  const fine: SessionStatus = { connectionState: 'connected', agentState: 'listening' };

  test('none while all is well', () => {
    expect(sessionProblem(fine)).toBeUndefined();
  });

  test('reconnecting is a warning that may pass', () => {
    expect(sessionProblem({ ...fine, connectionState: 'reconnecting' })).toEqual({
      severity: 'warning',
      message: RECONNECTING_MESSAGE,
    });
  });

  test('an agent that did not join ends the session', () => {
    expect(
      sessionProblem({ ...fine, agentState: 'failed', agentFailureReasons: ['Agent did not join the room.'] }),
    ).toEqual({ severity: 'error', message: 'The avatar did not join in time. Try again in a moment.' });
  });

  test('the most serious problem wins', () => {
    const everything: SessionStatus = {
      connectionState: 'reconnecting',
      agentState: 'failed',
      joinError: 'Too many requests; try again in a minute.',
      lostReason: 'SIGNAL_CLOSE',
      mediaWarning: 'No microphone was found. You can still type.',
    };
    expect(sessionProblem(everything)?.message).toBe('Too many requests; try again in a minute.');
    expect(sessionProblem({ ...everything, joinError: undefined })?.message).toBe(CONNECTION_LOST_MESSAGE);
    expect(sessionProblem({ ...everything, joinError: undefined, lostReason: undefined })?.message).toBe(
      RECONNECTING_MESSAGE,
    );
    expect(sessionProblem({ ...fine, mediaWarning: 'No microphone was found. You can still type.' })).toEqual({
      severity: 'warning',
      message: 'No microphone was found. You can still type.',
    });
  });
});

describe('turn timings attribute', () => {
  test('a full turn parses', () => {
    const timings = {
      endOfSpeechMs: 500,
      sttMs: 200,
      llmFirstTokenMs: 340,
      ttsFirstAudioMs: 90,
      avatarFirstFrameMs: 33,
      totalMs: 1200,
    };
    expect(parseTurnTimings(JSON.stringify(timings))).toEqual(timings);
  });

  test('a greeting has only its stages', () => {
    expect(parseTurnTimings('{"ttsFirstAudioMs":50}')).toEqual({ ttsFirstAudioMs: 50 });
  });

  test('bad JSON, or JSON that is not an object, is undefined', () => {
    for (const raw of [undefined, '', '{not json', 'null', '42', '"text"', '[1,2]']) {
      expect(parseTurnTimings(raw)).toBeUndefined();
    }
  });

  test('fields that are not durations, and unknown fields, are dropped', () => {
    expect(parseTurnTimings('{"sttMs":"fast","llmFirstTokenMs":-5,"totalMs":900,"extra":1}')).toEqual({ totalMs: 900 });
  });
});
