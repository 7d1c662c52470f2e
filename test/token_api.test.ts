// The web app's token API, called as Next.js calls it (a Request in, a Response out) and checked with
// real JWT verification: grants, TTL, agent dispatch, and a 4xx with no token for each kind of bad input.
import { RoomAgentDispatch, RoomConfiguration, TokenSourceRequest } from '@livekit/protocol';
import { TokenVerifier } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../frontend/lib/presets.ts';
import { WINDOW_MS } from '../frontend/lib/rate_limit.ts';
import { readTokenApiEnv } from '../frontend/lib/server_env.ts';
import { createTokenHandler, MAX_BODY_BYTES } from '../frontend/lib/token_handler.ts';

const KEY = 'test-key';
const SECRET = 'test-secret-that-is-long-enough-for-livekit';
const ENV = {
  LIVEKIT_API_KEY: KEY,
  LIVEKIT_API_SECRET: SECRET,
  LIVEKIT_URL: 'ws://livekit.internal:7880',
  LIVEKIT_PUBLIC_URL: 'wss://media.example.com',
  AGENT_NAME: 'avatar-agent',
  TOKEN_TTL_SECONDS: '300',
};

function handler(env: Record<string, string> = ENV, now: () => number = Date.now) {
  return createTokenHandler(() => readTokenApiEnv(env), now);
}

function post(body: string | undefined, headers: Record<string, string> = {}): Request {
  return new Request('http://app.test/api/token', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7', ...headers },
  });
}

const json = (value: unknown, headers?: Record<string, string>) => post(JSON.stringify(value), headers);

async function expectRefused(response: Response, status: number, message: RegExp) {
  expect(response.status).toBe(status);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.participantToken).toBeUndefined();
  expect(String(body.error)).toMatch(message);
  expect(String(body.error)).not.toContain('\n');
}

async function verified(response: Response) {
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as Record<string, string>;
  const claims = await new TokenVerifier(KEY, SECRET).verify(body.participantToken ?? '');
  return { body, claims };
}

describe('token API: the token', () => {
  it('grants joining one room with the least rights, for a short time, and dispatches the agent', async () => {
    const { body, claims } = await verified(await handler()(post(undefined)));
    expect(body.serverUrl).toBe('wss://media.example.com');
    expect(body.roomName).toMatch(/^avatar-[0-9a-f]{8}$/);
    expect(body.participantName).toBe('Guest');
    expect(claims.video).toEqual({
      room: body.roomName,
      roomJoin: true,
      canPublish: true,
      canPublishSources: ['microphone', 'camera', 'screen_share', 'screen_share_audio'],
      canPublishData: true,
      canSubscribe: true,
      canUpdateOwnMetadata: false,
    });
    expect(claims.sub).toMatch(/^web-[0-9a-f]{12}$/);
    expect((claims.exp ?? 0) - (claims.nbf ?? 0)).toBe(300);
    expect(claims.roomConfig?.syncStreams).toBe(true);
    expect(claims.roomConfig?.agents).toHaveLength(1);
    expect(claims.roomConfig?.agents?.[0]?.agentName).toBe('avatar-agent');
    expect(JSON.parse(claims.roomConfig?.agents?.[0]?.metadata ?? '')).toEqual({});
    expect(JSON.stringify(body)).not.toContain(SECRET);
  });

  it('takes the body livekit-client TokenSource.endpoint sends: room, name, agent and preset', async () => {
    // Serialized exactly as TokenSource.endpoint does (protobuf JSON with the proto field names).
    const request = new TokenSourceRequest({
      roomName: 'team-standup_2',
      participantName: 'Zoë 李',
      roomConfig: new RoomConfiguration({
        agents: [new RoomAgentDispatch({ agentName: 'avatar-agent', metadata: '{"preset":"tutor","voice":"kal16"}' })],
      }),
    });
    const { body, claims } = await verified(await handler()(post(request.toJsonString({ useProtoFieldName: true }))));
    expect(body.roomName).toBe('team-standup_2');
    expect(claims.video?.room).toBe('team-standup_2');
    expect(claims.name).toBe('Zoë 李');
    expect(JSON.parse(claims.roomConfig?.agents?.[0]?.metadata ?? '')).toEqual({
      instructions: PRESETS.tutor.instructions,
      voice: 'kal16',
    });
  });

  it('gives each caller its own identity, even in the same room', async () => {
    const h = handler();
    const a = await verified(await h(json({ room_name: 'shared' })));
    const b = await verified(await h(json({ room_name: 'shared' })));
    expect(a.claims.sub).not.toBe(b.claims.sub);
  });

  it('uses LIVEKIT_URL for browsers when no public URL is set', async () => {
    const { LIVEKIT_PUBLIC_URL: _, ...env } = ENV;
    const { body } = await verified(await handler(env)(post(undefined)));
    expect(body.serverUrl).toBe('ws://livekit.internal:7880');
  });
});

describe('token API: bad input gets a 4xx and no token', () => {
  const cases: [string, Request, number, RegExp][] = [
    ['unknown top-level field', json({ room_name: 'a', admin: true }), 400, /unknown field "admin"/],
    ['client-chosen identity', json({ participant_identity: 'agent-1' }), 400, /participant_identity/],
    ['participant attributes', json({ participant_attributes: { role: 'x' } }), 400, /participant_attributes/],
    ['unknown room_config field', json({ room_config: { empty_timeout: 1 } }), 400, /room_config\.empty_timeout/],
    ['room name of the wrong type', json({ room_name: 42 }), 400, /^room_name: /],
    ['room name with a path', json({ room_name: '../admin' }), 400, /^room_name: must be 1-64 letters/],
    ['room name with a space', json({ room_name: 'a b' }), 400, /^room_name: /],
    ['empty room name', json({ room_name: '' }), 400, /^room_name: /],
    ['over-long room name', json({ room_name: 'r'.repeat(65) }), 400, /^room_name: /],
    ['over-long participant name', json({ participant_name: 'é'.repeat(65) }), 400, /at most 64 characters/],
    ['blank participant name', json({ participant_name: '   ' }), 400, /must not be empty/],
    ['control character in a name', json({ participant_name: 'Ann\u0007' }), 400, /control or invisible/],
    ['bidi override in a name', json({ participant_name: 'Ann\u202Egnp.exe' }), 400, /control or invisible/],
    ['HTML in a name is only text', json({ participant_name: '<script>' }), 200, /.*/],
    ['two agents', json({ room_config: { agents: [{}, {}] } }), 400, /takes one agent/],
    ['another agent', json({ room_config: { agents: [{ agent_name: 'other' }] } }), 400, /dispatches only/],
    ['metadata not JSON', json({ room_config: { agents: [{ metadata: '{preset' }] } }), 400, /must be a JSON/],
    [
      'unknown preset',
      json({ room_config: { agents: [{ metadata: '{"preset":"root"}' }] } }),
      400,
      /metadata\.preset: /,
    ],
    [
      'instructions from the browser',
      json({ room_config: { agents: [{ metadata: '{"instructions":"obey me"}' }] } }),
      400,
      /unknown field "room_config\.agents\.0\.metadata\.instructions"/,
    ],
    ['bad voice', json({ room_config: { agents: [{ metadata: '{"voice":"a b"}' }] } }), 400, /voice: /],
    ['body not JSON', post('{"room_name":'), 400, /not valid JSON/],
    ['body an array', post('[]'), 400, /expected object/],
    ['body a string', post('"room"'), 400, /expected object/],
    ['body null', post('null'), 200, /.*/],
    ['form-encoded body', post('room_name=a', { 'content-type': 'application/x-www-form-urlencoded' }), 415, /json/],
    ['declared too large', post('{}', { 'content-length': String(MAX_BODY_BYTES + 1) }), 413, /over 4096 bytes/],
  ];

  for (const [name, request, status, message] of cases) {
    it(`${name} → ${status}`, async () => {
      const response = await handler()(request);
      if (status === 200) expect(response.status).toBe(200);
      else await expectRefused(response, status, message);
    });
  }

  it('a body that grows past the limit without declaring its size → 413', async () => {
    const big = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)));
        controller.close();
      },
    });
    const request = new Request('http://app.test/api/token', {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    await expectRefused(await handler()(request), 413, /over 4096 bytes/);
  });

  it('rate-limits each client (429 with Retry-After) and lets it back in the next window', async () => {
    let now = 1_000_000;
    const h = handler({ ...ENV, TOKEN_RATE_LIMIT: '3' }, () => now);
    for (let i = 0; i < 3; i++) expect((await h(post(undefined))).status).toBe(200);
    const refused = await h(post(undefined));
    await expectRefused(refused, 429, /Too many requests/);
    expect(Number(refused.headers.get('retry-after'))).toBe(60);
    // Another client is not affected.
    expect((await h(post(undefined, { 'x-forwarded-for': '198.51.100.1' }))).status).toBe(200);
    now += WINDOW_MS;
    expect((await h(post(undefined))).status).toBe(200);
  });

  it('caps all clients together, whatever addresses they claim', async () => {
    const h = handler({ ...ENV, TOKEN_RATE_LIMIT_TOTAL: '5' });
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await h(post(undefined, { 'x-forwarded-for': `10.0.0.${i}` }))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it('behind a trusted proxy, limits the address the proxy saw, not the one the client claims', async () => {
    const h = handler({ ...ENV, TOKEN_RATE_LIMIT: '1', TRUSTED_PROXY_HOPS: '1' });
    expect((await h(post(undefined, { 'x-forwarded-for': '1.1.1.1, 192.0.2.5' }))).status).toBe(200);
    expect((await h(post(undefined, { 'x-forwarded-for': '2.2.2.2, 192.0.2.5' }))).status).toBe(429);
  });

  it('refuses origins outside TOKEN_ALLOWED_ORIGINS (403)', async () => {
    const h = handler({ ...ENV, TOKEN_ALLOWED_ORIGINS: 'https://app.example.com, https://kiosk.example.com' });
    expect((await h(post(undefined, { origin: 'https://kiosk.example.com' }))).status).toBe(200);
    await expectRefused(await h(post(undefined, { origin: 'https://evil.example' })), 403, /not allowed/);
    await expectRefused(await h(post(undefined)), 403, /\(none\) is not allowed/);
  });

  it('without API keys in the environment answers 500 and names no secret', async () => {
    const { LIVEKIT_API_SECRET: _, ...env } = ENV;
    const response = await handler(env)(post(undefined));
    await expectRefused(response, 500, /not configured/);
  });
});
