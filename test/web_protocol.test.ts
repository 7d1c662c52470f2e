// The web app and the worker are separate packages that must agree on a few names and limits.
import { describe, expect, it } from 'vitest';
import * as web from '../frontend/lib/agent_protocol.ts';
import { SAY_MAX_CHARS, SAY_RPC_METHOD } from '../src/say_rpc.ts';
import { CHAT_MAX_CHARS } from '../src/text_input.ts';
import { TURN_TIMINGS_ATTRIBUTE, type TurnTimings } from '../src/turn_timings.ts';
import { cleanUserText } from '../src/user_text.ts';

describe('web app ↔ agent protocol', () => {
  it('uses the same RPC, attribute and limits on both sides', () => {
    expect(web.SAY_RPC_METHOD).toBe(SAY_RPC_METHOD);
    expect(web.SAY_MAX_CHARS).toBe(SAY_MAX_CHARS);
    expect(web.CHAT_MAX_CHARS).toBe(CHAT_MAX_CHARS);
    expect(web.TURN_TIMINGS_ATTRIBUTE).toBe(TURN_TIMINGS_ATTRIBUTE);
    // Compile-time: the agent's timings fit the web app's type and back.
    const agentSide: TurnTimings = { sttMs: 1, totalMs: 2 } satisfies web.TurnTimings;
    expect(agentSide.totalMs).toBe(2);
  });
});

describe('text people send the agent', () => {
  it('keeps words, accents, scripts and emoji; turns line breaks into spaces', () => {
    expect(cleanUserText('  Hello,\n  Zoë!\t李 👋 ', 100)).toEqual({ ok: true, text: 'Hello, Zoë! 李 👋' });
  });

  it('strips control and invisible characters (bidi overrides, zero-width, NUL)', () => {
    expect(cleanUserText('a\u0000b\u202Ec\u200Bd\u0007', 100)).toEqual({ ok: true, text: 'abcd' });
  });

  it('refuses empty text and names the limit for long text', () => {
    expect(cleanUserText(' \u0000\n ', 100)).toEqual({ ok: false, reason: 'the text is empty' });
    expect(cleanUserText('x'.repeat(101), 100)).toEqual({
      ok: false,
      reason: 'the text is 101 characters; the limit is 100',
    });
    // The limit counts characters people see, not UTF-16 units.
    expect(cleanUserText('👋'.repeat(100), 100).ok).toBe(true);
  });
});
