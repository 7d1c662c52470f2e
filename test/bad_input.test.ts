// Bad input against the token API, called as Next.js calls it (a Request in, a Response out): every
// generated case gets a 4xx with one honest line (no stack, no secret, no token) and exactly one log
// line, or, when it is only unusual text, a token with exactly the minimal grants; floods are limited
// without flooding the log; a well-formed request still gets its token afterwards. Also, in-process, the
// text checks and rate the agent applies to chat and "Say this" (test/bad_input.integration.test.ts
// sends the same generated texts to the real worker).
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { WINDOW_MS } from '../frontend/lib/rate_limit.ts';
import { readTokenApiEnv } from '../frontend/lib/server_env.ts';
import { createTokenHandler, hasCallerSecret, LOGGED_REFUSALS_PER_MINUTE } from '../frontend/lib/token_handler.ts';
import { SAY_MAX_CHARS } from '../src/say_rpc.ts';
import { SenderRate } from '../src/sender_rate.ts';
import { CHAT_MAX_CHARS } from '../src/text_input.ts';
import { cleanUserText } from '../src/user_text.ts';
import {
  ACCEPTED_TEXTS,
  ALLOWED_ORIGIN,
  refusedTexts,
  TEST_CALLER_SECRET,
  type TokenCase,
  type TokenEnv,
  tokenApiCases,
  UNPRINTABLE_CHARS,
} from './helpers/bad_inputs.ts';

const KEY = 'bad-input-key';
const SECRET = 'bad-input-livekit-secret-long-enough-0123';
const AGENT = 'avatar-agent';
const BASE_ENV = {
  LIVEKIT_API_KEY: KEY,
  LIVEKIT_API_SECRET: SECRET,
  LIVEKIT_URL: 'ws://livekit.internal:7880',
  AGENT_NAME: AGENT,
  TOKEN_TTL_SECONDS: '300',
};
/** The generated cases are not a flood: limits high enough that each case meets its own check. */
const UNLIMITED = { TOKEN_RATE_LIMIT: '1000000', TOKEN_RATE_LIMIT_TOTAL: '1000000' };
const ENVS: Record<TokenEnv, Record<string, string>> = {
  open: { ...BASE_ENV, ...UNLIMITED },
  origins: { ...BASE_ENV, ...UNLIMITED, TOKEN_ALLOWED_ORIGINS: ALLOWED_ORIGIN },
  secret: { ...BASE_ENV, ...UNLIMITED, TOKEN_API_SECRET: TEST_CALLER_SECRET },
};
/** Headers a well-formed request carries in each configuration. */
const WELL_FORMED: Record<TokenEnv, Record<string, string>> = {
  open: {},
  origins: { origin: ALLOWED_ORIGIN },
  secret: { authorization: `Bearer ${TEST_CALLER_SECRET}` },
};
/** A refusal is a sentence, not a dump of what was sent. */
const MAX_ERROR_CHARS = 200;
const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key', 'cookie']);
/** Shorter credentials ("Bearer ") are words a refusal may well contain. */
const MIN_ECHO_CHARS = 16;
const LINE_BREAK = /[\n\r\u2028\u2029]/;
const STACK_FRAME = /\bat .+:\d+:\d+/;
/** The least a visitor needs: join one room, publish voice, camera and screen, data, subscribe. */
const MINIMAL_GRANTS = {
  roomJoin: true,
  canPublish: true,
  canPublishSources: ['microphone', 'camera', 'screen_share', 'screen_share_audio'],
  canPublishData: true,
  canSubscribe: true,
  canUpdateOwnMetadata: false,
};

const CASES = tokenApiCases();

/** Every line the token API wrote to the console, and every token it issued. */
const logged: string[] = [];
const issuedTokens: string[] = [];
let spies: MockInstance[] = [];

beforeAll(() => {
  const capture = (...args: unknown[]) => {
    logged.push(args.map(String).join(' '));
  };
  spies = [
    vi.spyOn(console, 'warn').mockImplementation(capture),
    vi.spyOn(console, 'error').mockImplementation(capture),
    vi.spyOn(console, 'log').mockImplementation(capture),
    vi.spyOn(console, 'info').mockImplementation(capture),
  ];
});

afterAll(() => {
  for (const spy of spies) spy.mockRestore();
});

function request(c: Pick<TokenCase, 'method' | 'headers' | 'body'>, extraHeaders: Record<string, string> = {}) {
  const body = c.body?.();
  return new Request('http://app.test/api/token', {
    method: c.method,
    headers: { ...c.headers, ...extraHeaders },
    body,
    ...(body instanceof ReadableStream && { duplex: 'half' }),
  } as RequestInit);
}

const wellFormed = (env: TokenEnv, headers: Record<string, string> = {}) =>
  request({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...WELL_FORMED[env], ...headers },
    body: () => JSON.stringify({ participant_name: 'Well Formed' }),
  });

async function expectToken(response: Response, name: string, room?: string): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as Record<string, string>;
  expect(Object.keys(body).sort()).toEqual(['participantName', 'participantToken', 'roomName', 'serverUrl']);
  issuedTokens.push(body.participantToken ?? '');
  const claims = await new TokenVerifier(KEY, SECRET).verify(body.participantToken ?? '');
  expect(claims.name).toBe(name);
  expect(body.participantName).toBe(name);
  if (room) expect(body.roomName).toBe(room);
  // Whatever the name said, the grants are the minimal ones, for the room the answer names.
  expect(claims.video).toEqual({ room: body.roomName, ...MINIMAL_GRANTS });
  expect(claims.sub).toMatch(/^web-[0-9a-f]{12}$/);
  expect(claims.metadata ?? '').toBe('');
  expect(claims.attributes ?? {}).toEqual({});
  expect(claims.roomConfig?.agents?.map((a) => a.agentName)).toEqual([AGENT]);
  expect(JSON.parse(claims.roomConfig?.agents?.[0]?.metadata ?? '')).toEqual({});
}

/** A refusal: the status, one short line naming the problem, nothing secret, no token. */
async function expectRefusal(response: Response, status: number, error: RegExp, sent: string[]): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const text = await response.text();
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['error']);
  const message = String(body.error);
  expect(message).toMatch(error);
  expect(message).not.toMatch(LINE_BREAK);
  expect(message).not.toMatch(STACK_FRAME);
  expect(message.length).toBeLessThanOrEqual(MAX_ERROR_CHARS);
  for (const secret of [SECRET, TEST_CALLER_SECRET, ...sent]) expect(text).not.toContain(secret);
  return message;
}

describe('token API: generated bad input', () => {
  it('has well over 120 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(120);
  });

  const groups = [...new Set(CASES.map((c) => c.group))];
  for (const group of groups) {
    describe(group, () => {
      // One server per configuration for the whole group, as under attack; its clock moves a minute
      // per case so that each refusal's own log line can be checked.
      let now = 1_000_000;
      const handlers = Object.fromEntries(
        (Object.keys(ENVS) as TokenEnv[]).map((env) => [
          env,
          createTokenHandler(
            () => readTokenApiEnv(ENVS[env]),
            () => now,
          ),
        ]),
      ) as Record<TokenEnv, (r: Request) => Promise<Response>>;
      const cases = CASES.filter((c) => c.group === group);

      for (const c of cases) {
        it(`${c.name} → ${c.expect.status}`, async () => {
          now += WINDOW_MS;
          const before = logged.length;
          const response = await handlers[c.env](request(c));
          const lines = logged.slice(before);
          if ('error' in c.expect) {
            // Credentials the caller sent never come back, nor huge header values whole.
            const sent = Object.entries(c.headers)
              .filter(([name, value]) => CREDENTIAL_HEADERS.has(name) || value.length > MAX_ERROR_CHARS)
              .map(([, value]) => value)
              .filter((value) => value.length >= MIN_ECHO_CHARS);
            const message = await expectRefusal(response, c.expect.status, c.expect.error, sent);
            expect(lines).toEqual([`token API: ${c.expect.status} ${message}`]);
          } else {
            await expectToken(response, c.expect.name, c.expect.room);
            expect(lines).toEqual([]);
          }
        });
      }

      it('a well-formed request still gets its token afterwards', async () => {
        for (const env of new Set(cases.map((c) => c.env))) {
          now += WINDOW_MS;
          await expectToken(await handlers[env](wellFormed(env)), 'Well Formed');
        }
      });
    });
  }
});

describe('token API: floods', () => {
  const FLOOD = 200;
  const bad = (client: string) =>
    request({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: () => '{"room_name":',
    });

  it('one client: limited after its budget, logged at most a minute’s worth, others unaffected', async () => {
    let now = 5_000_000;
    const h = createTokenHandler(
      () => readTokenApiEnv({ ...BASE_ENV, TOKEN_RATE_LIMIT: '20' }),
      () => now,
    );
    const before = logged.length;
    const statuses: number[] = [];
    for (let i = 0; i < FLOOD; i++) statuses.push((await h(bad('198.51.100.66'))).status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(FLOOD - 20);
    const last = await h(bad('198.51.100.66'));
    await expectRefusal(last, 429, /^Too many requests/, []);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    // Someone else meanwhile.
    await expectToken(await h(wellFormed('open', { 'x-forwarded-for': '203.0.113.9' })), 'Well Formed');
    const duringFlood = logged.slice(before);
    expect(duringFlood).toHaveLength(LOGGED_REFUSALS_PER_MINUTE);

    // A minute later: one line accounts for what was not logged, and the flooder is let back in.
    now += WINDOW_MS;
    await expectToken(await h(wellFormed('open', { 'x-forwarded-for': '198.51.100.66' })), 'Well Formed');
    await h(bad('198.51.100.66'));
    const after = logged.slice(before + LOGGED_REFUSALS_PER_MINUTE);
    expect(after).toEqual([
      `token API: ${FLOOD + 1 - LOGGED_REFUSALS_PER_MINUTE} more refusals were not logged (over ${LOGGED_REFUSALS_PER_MINUTE} a minute)`,
      'token API: 400 request body is not valid JSON',
    ]);
  });

  it('callers without the secret cannot use up the budget of those who have it', async () => {
    const h = createTokenHandler(() =>
      readTokenApiEnv({ ...BASE_ENV, TOKEN_API_SECRET: TEST_CALLER_SECRET, TOKEN_RATE_LIMIT_TOTAL: '3' }),
    );
    for (let i = 0; i < FLOOD; i++) {
      const response = await h(wellFormed('open', { 'x-forwarded-for': `10.1.${i >> 8}.${i & 255}` }));
      expect(response.status).toBe(401);
    }
    await expectToken(await h(wellFormed('secret')), 'Well Formed');
  });

  it('300 bad requests at once: every one answered, none crashes the handler', async () => {
    const h = createTokenHandler(() => readTokenApiEnv(ENVS.open));
    const mixed = CASES.filter((c) => c.env === 'open' && c.expect.status !== 200);
    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => h(request(mixed[i % mixed.length] as TokenCase))),
    );
    for (const r of responses) expect(r.status).toBeGreaterThanOrEqual(400);
    for (const r of responses) expect(r.status).toBeLessThan(500);
    await expectToken(await h(wellFormed('open')), 'Well Formed');
  });
});

describe('token API: secrets stay secret', () => {
  it('compares the shared secret exactly', () => {
    const headers = (value: string) => new Headers({ authorization: value });
    expect(hasCallerSecret(headers(`Bearer ${TEST_CALLER_SECRET}`), TEST_CALLER_SECRET)).toBe(true);
    expect(hasCallerSecret(headers(`Bearer ${TEST_CALLER_SECRET} `), TEST_CALLER_SECRET)).toBe(true);
    expect(hasCallerSecret(headers(`Bearer ${TEST_CALLER_SECRET.slice(1)}`), TEST_CALLER_SECRET)).toBe(false);
    expect(hasCallerSecret(new Headers(), TEST_CALLER_SECRET)).toBe(false);
  });

  it('a secret shorter than 16 characters is a configuration error that names the variable, not the value', async () => {
    const h = createTokenHandler(() => readTokenApiEnv({ ...BASE_ENV, TOKEN_API_SECRET: 'short-secret' }));
    const before = logged.length;
    const response = await h(wellFormed('open'));
    expect(response.status).toBe(500);
    expect(logged.slice(before)).toEqual([
      'token API: not configured: TOKEN_API_SECRET must be at least 16 characters',
    ]);
    expect(await response.text()).not.toContain('short-secret');
  });

  it('nothing the token API logged holds a secret, a token or a stack trace, and every line is one line', () => {
    expect(logged.length).toBeGreaterThan(CASES.length / 2);
    expect(issuedTokens.length).toBeGreaterThan(20);
    for (const line of logged) {
      expect(line).not.toMatch(LINE_BREAK);
      expect(line).not.toMatch(STACK_FRAME);
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(TEST_CALLER_SECRET);
      for (const token of issuedTokens) expect(line).not.toContain(token);
    }
  });
});

describe('text people send the agent (chat, "Say this"), in-process', () => {
  for (const [channel, limit] of [
    ['chat', CHAT_MAX_CHARS],
    ['say', SAY_MAX_CHARS],
  ] as const) {
    it(`${channel}: every generated bad text is refused with its reason`, () => {
      const texts = [
        ...refusedTexts(limit),
        ...UNPRINTABLE_CHARS.map(([c, what]) => ({ name: what, text: c, expect: { refused: /^the text is empty$/ } })),
      ];
      for (const c of texts) {
        const checked = cleanUserText(c.text, limit);
        expect(checked.ok, c.name).toBe(false);
        if (!checked.ok && 'refused' in c.expect) expect(checked.reason, c.name).toMatch(c.expect.refused);
      }
    });
  }

  it('unusual but harmless texts are taken, cleaned to exactly what the agent then uses', () => {
    for (const c of ACCEPTED_TEXTS) {
      expect(cleanUserText(c.text, SAY_MAX_CHARS), c.name).toEqual({
        ok: true,
        text: (c.expect as { accepted: string }).accepted,
      });
    }
  });

  it('a sender over the rate is refused, and reported once per window, not per message', () => {
    let now = 0;
    const rate = new SenderRate({ requests: 5, windowMs: 10_000 }, () => now);
    const decisions = Array.from({ length: 100 }, () => rate.take('flooder'));
    expect(decisions.filter((d) => d === 'allowed')).toHaveLength(5);
    expect(decisions.filter((d) => d === 'refused')).toHaveLength(1);
    expect(decisions.filter((d) => d === 'quiet')).toHaveLength(94);
    // Others are not affected; the flooder is let back in as its window slides on, and reported anew.
    expect(rate.take('someone else')).toBe('allowed');
    now += 10_000;
    expect(rate.take('flooder')).toBe('allowed');
    expect(Array.from({ length: 10 }, () => rate.take('flooder')).filter((d) => d === 'refused')).toHaveLength(1);
  });
});
