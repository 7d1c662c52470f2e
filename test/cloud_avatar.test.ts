// Cloud avatars (AVATAR=bey, anam, lemonslice, hedra), wiring only: the vendors cannot be reached from
// here, so each provider's API is a local FIXTURE that answers the calls its agents-js plugin makes, as
// the plugin's source makes them. Each fixture then does what the vendor's avatar would do: joins the
// real test room with the token it was given and plays what the agent streams to it (our receiver and
// runner stand in for the vendor's renderer).
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initializeLogger, log, voice } from '@livekit/agents';
import { dispose, Room } from '@livekit/rtc-node';
import { type ClaimGrants, TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { AvatarRunner } from '../src/avatar/avatar_runner.ts';
import { DEFAULT_AVATAR_OPTIONS } from '../src/avatar/options.ts';
import { DataStreamReceiver } from '../src/avatar/remote/data_stream_receiver.ts';
import { PUBLISH_ON_BEHALF_ATTRIBUTE } from '../src/avatar/remote/protocol.ts';
import { MouthBlockRenderer } from '../src/avatar/renderers/mouth_block.ts';
import { type CloudAvatarConfig, type CloudAvatarProvider, ConfigError, parseConfig } from '../src/config.ts';
import { createCloudAvatar, startCloudAvatar } from '../src/plugins/cloud_avatar.ts';
import { DataStreamAudioOutput } from '../src/plugins/data_stream_audio_output.ts';
import { joinRoom, uniqueRoom } from './helpers/participant.ts';
import { tone } from './helpers/tone.ts';

const livekit = inject('livekit');
const OPTIONS = { ...DEFAULT_AVATAR_OPTIONS, width: 128, height: 128 };
const FRAME_SECONDS = 1 / OPTIONS.fps;
const JOIN_TIMEOUT_MS = 15_000;
const AVATAR_ID = 'fixture-avatar-7';
/**
 * The plugins retry a failing API on their own schedule, which our settings cannot shorten (anam: 3
 * tries 2 s apart; lemonslice: 4 tries, 0.1 s then 2 s apart; bey: 3 tries, 0.1 s then 2 s apart).
 */
const RETRIES_BOUND_MS = 15_000;
const ATTEMPTS = { bey: 3, anam: 3, lemonslice: 4 } as const;

/** The identity each plugin is told to give its avatar participant (see cloud_avatar.ts). */
const AVATAR_IDENTITY = {
  bey: 'bey-avatar-agent',
  anam: 'anam-avatar-agent',
  lemonslice: 'lemonslice-avatar-agent',
} as const;

afterAll(async () => {
  await dispose();
});

beforeAll(() => {
  initializeLogger({ pretty: false, level: 'warn' });
});

// ---------------------------------------------------------------------------------------------
// Fixtures: one local HTTP server per provider

interface FixtureRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

interface Reply {
  status: number;
  body: unknown;
  /** A LiveKit room the vendor's avatar now joins, once the reply has gone out. */
  join?: { url: string; token: string };
}

type Route = (req: FixtureRequest) => Reply;

/** Joins a room with the token a provider was given, as the vendor's avatar would. */
type AvatarLauncher = (url: string, token: string) => Promise<void>;

interface ProviderFixture {
  /** What AVATAR_API_URL points to for this provider. */
  apiUrl: string;
  requests: FixtureRequest[];
  /** Every request fails with this status from now on: the vendor is down. */
  failWith: number | undefined;
  launch: AvatarLauncher | undefined;
  /** The vendor's avatar, once it has joined and published its face. */
  joined: Promise<void>;
  close(): Promise<void>;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** A value inside parsed JSON, or undefined where the path does not lead anywhere. */
const field = (json: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, key) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined),
    json,
  );

async function startFixture(routes: Record<string, Route>, apiPath: string): Promise<ProviderFixture> {
  let onJoined: () => void = () => {};
  let onJoinFailed: (err: unknown) => void = () => {};
  const fixture: ProviderFixture = {
    apiUrl: '',
    requests: [],
    failWith: undefined,
    launch: undefined,
    joined: new Promise<void>((resolve, reject) => {
      onJoined = resolve;
      onJoinFailed = reject;
    }),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  // Not every test makes the avatar join; a failed join is only an error where one is awaited.
  fixture.joined.catch(() => {});
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      body = { unparsable: raw };
    }
    const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
    fixture.requests.push(request);
    const route = routes[`${request.method} ${request.path}`];
    const reply: Reply =
      fixture.failWith !== undefined
        ? { status: fixture.failWith, body: { detail: 'fixture: the vendor is down' } }
        : (route?.(request) ?? { status: 404, body: { detail: 'Not Found' } });
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
    if (reply.join && fixture.launch) fixture.launch(reply.join.url, reply.join.token).then(onJoined, onJoinFailed);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fixture.apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${apiPath}`;
  return fixture;
}

/**
 * FIXTURE, not Beyond Presence: POST /v1/session as docs.bey.dev documents it (x-api-key; body
 * avatar_id, livekit_url, livekit_token; 201 with the session), the call agents-plugin-bey makes.
 */
function beyFixture(apiKey: string): Promise<ProviderFixture> {
  return startFixture(
    {
      'POST /v1/session': ({ headers, body }) => {
        if (headers['x-api-key'] !== apiKey) return { status: 401, body: { detail: 'Invalid API key' } };
        const { avatar_id, livekit_url, livekit_token } = body;
        if (!isText(avatar_id) || !isText(livekit_url) || !isText(livekit_token)) {
          return { status: 422, body: { detail: 'avatar_id, livekit_url and livekit_token are required' } };
        }
        const session = { id: crypto.randomUUID(), created_at: new Date().toISOString(), avatar_id, livekit_url };
        return { status: 201, body: { ...session, livekit_token }, join: { url: livekit_url, token: livekit_token } };
      },
    },
    '',
  );
}

/**
 * FIXTURE, not Anam: the two calls agents-plugin-anam makes. POST /v1/auth/session-token (Bearer API
 * key; an ephemeral persona and the LiveKit environment) returns a session token; POST
 * /v1/engine/session with that token as Bearer starts the engine, which then joins the room.
 */
function anamFixture(apiKey: string): Promise<ProviderFixture> {
  const sessions = new Map<string, { url: string; token: string }>();
  return startFixture(
    {
      'POST /v1/auth/session-token': ({ headers, body }) => {
        if (headers.authorization !== `Bearer ${apiKey}`) return { status: 401, body: { error: 'Unauthorized' } };
        const persona = body.personaConfig as Record<string, unknown> | undefined;
        const env = body.environment as Record<string, unknown> | undefined;
        if (!isText(persona?.avatarId) || !isText(env?.livekitUrl) || !isText(env?.livekitToken)) {
          return { status: 400, body: { error: 'personaConfig.avatarId and environment are required' } };
        }
        const sessionToken = `anam-session-${crypto.randomUUID()}`;
        sessions.set(sessionToken, { url: env.livekitUrl, token: env.livekitToken });
        return { status: 200, body: { sessionToken } };
      },
      'POST /v1/engine/session': ({ headers }) => {
        const session = sessions.get(headers.authorization?.replace(/^Bearer /, '') ?? '');
        if (!session) return { status: 401, body: { error: 'Invalid session token' } };
        return { status: 200, body: { sessionId: crypto.randomUUID() }, join: session };
      },
    },
    '',
  );
}

const LEMONSLICE_PATH = '/api/liveai/sessions';

/**
 * FIXTURE, not LemonSlice: POST to the sessions URL itself (X-API-Key; transport_type livekit,
 * agent_id, properties.livekit_url / livekit_token), answered with a session_id, as
 * agents-plugin-lemonslice calls it.
 */
function lemonsliceFixture(apiKey: string): Promise<ProviderFixture> {
  return startFixture(
    {
      [`POST ${LEMONSLICE_PATH}`]: ({ headers, body }) => {
        if (headers['x-api-key'] !== apiKey) return { status: 401, body: { error: 'Invalid API key' } };
        const props = body.properties as Record<string, unknown> | undefined;
        if (body.transport_type !== 'livekit' || !isText(body.agent_id)) {
          return { status: 400, body: { error: 'transport_type livekit and agent_id are required' } };
        }
        if (!isText(props?.livekit_url) || !isText(props?.livekit_token)) {
          return { status: 400, body: { error: 'properties.livekit_url and livekit_token are required' } };
        }
        return {
          status: 200,
          body: { session_id: crypto.randomUUID() },
          join: { url: props.livekit_url, token: props.livekit_token },
        };
      },
    },
    LEMONSLICE_PATH,
  );
}

const FIXTURES = { bey: beyFixture, anam: anamFixture, lemonslice: lemonsliceFixture };

// ---------------------------------------------------------------------------------------------
// Helpers

const API_KEY = { bey: 'bey-fixture-key', anam: 'anam-fixture-key', lemonslice: 'lemonslice-fixture-key' } as const;
const KEY_VARIABLE = { bey: 'BEY_API_KEY', anam: 'ANAM_API_KEY', lemonslice: 'LEMONSLICE_API_KEY' } as const;

type Started = keyof typeof FIXTURES;

/** The cloud avatar settings as the worker reads them from the environment. */
function cloudConfig(provider: Started, apiUrl: string): CloudAvatarConfig {
  const config = parseConfig({
    AVATAR: provider,
    [KEY_VARIABLE[provider]]: API_KEY[provider],
    AVATAR_ID: AVATAR_ID,
    AVATAR_API_URL: apiUrl,
  }).cloudAvatar;
  if (!config) throw new Error(`AVATAR=${provider} gave no cloud avatar settings`);
  return config;
}

const tokenClaims = (token: string) => new TokenVerifier(livekit.apiKey, livekit.apiSecret).verify(token);

/** What the vendor reads from the token it was given, without the secret it does not have. */
function unverifiedClaims(token: string): ClaimGrants {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ClaimGrants;
}

interface VendorAvatar {
  room: Room;
  runner: AvatarRunner;
  receiver: DataStreamReceiver;
}

/** The vendor's avatar: in the room under the token's identity, speaking for the agent it names. */
function vendorAvatar(started: VendorAvatar[]): AvatarLauncher {
  return async (url, token) => {
    const agentIdentity = unverifiedClaims(token).attributes?.[PUBLISH_ON_BEHALF_ATTRIBUTE];
    if (!agentIdentity) throw new Error(`the token does not say whom the avatar speaks for`);
    const room = new Room();
    await room.connect(url, token, { autoSubscribe: false, dynacast: false });
    const runner = new AvatarRunner(room, new MouthBlockRenderer(OPTIONS.width, OPTIONS.height), OPTIONS);
    const receiver = new DataStreamReceiver(room, agentIdentity, runner, { info: () => {}, warn: () => {} });
    receiver.start();
    started.push({ room, runner, receiver });
    await runner.start();
  };
}

/** A session as the worker has it when the avatar starts: built, not started, no models to load. */
const unstartedSession = () => new voice.AgentSession({ vad: null, turnHandling: { turnDetection: null } });

// ---------------------------------------------------------------------------------------------
// Starting each provider

describe.each([
  // bey first: the first plugin output in a process registers its RPC handlers (agents-js does that
  // once per process), so this is the case where ours must replace them.
  ['bey' as const, undefined],
  ['anam' as const, undefined],
  ['lemonslice' as const, 16_000],
])('AVATAR=%s', (provider, sampleRate) => {
  let fixture: ProviderFixture;
  let agentRoom: Room;
  let session: voice.AgentSession;
  let output: DataStreamAudioOutput;
  const avatars: VendorAvatar[] = [];
  const agentIdentity = `agent-${provider}`;

  beforeAll(async () => {
    fixture = await FIXTURES[provider](API_KEY[provider]);
    fixture.launch = vendorAvatar(avatars);
    agentRoom = await joinRoom(livekit, { room: uniqueRoom(`cloud-${provider}`), identity: agentIdentity });
    session = unstartedSession();
    output = await startCloudAvatar(
      cloudConfig(provider, fixture.apiUrl),
      livekit,
      JOIN_TIMEOUT_MS,
      session,
      agentRoom,
      log(),
    );
  });

  afterAll(async () => {
    output?.close();
    for (const a of avatars) {
      a.receiver.close();
      await a.runner.close();
      await a.room.disconnect();
    }
    await agentRoom?.disconnect();
    await fixture?.close();
  });

  test('the provider is called as its plugin calls it, with a token for this room only', async () => {
    const token = (() => {
      switch (provider) {
        case 'bey': {
          expect(fixture.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/session']);
          const [req] = fixture.requests;
          expect(req?.headers['x-api-key']).toBe(API_KEY.bey);
          expect(req?.headers['content-type']).toBe('application/json');
          expect(req?.body).toEqual({
            avatar_id: AVATAR_ID,
            livekit_url: livekit.url,
            livekit_token: expect.any(String),
          });
          return req?.body.livekit_token;
        }
        case 'anam': {
          expect(fixture.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
            'POST /v1/auth/session-token',
            'POST /v1/engine/session',
          ]);
          const [tokenReq, engineReq] = fixture.requests;
          expect(tokenReq?.headers.authorization).toBe(`Bearer ${API_KEY.anam}`);
          expect(tokenReq?.headers['content-type']).toBe('application/json');
          expect(tokenReq?.body).toEqual({
            personaConfig: { type: 'ephemeral', name: 'avatar', avatarId: AVATAR_ID, llmId: 'CUSTOMER_CLIENT_V1' },
            environment: { livekitUrl: livekit.url, livekitToken: expect.any(String) },
          });
          // The engine is started with the session token, not the API key.
          expect(engineReq?.headers.authorization).toMatch(/^Bearer anam-session-/);
          expect(engineReq?.body).toEqual({});
          return field(tokenReq?.body, 'environment', 'livekitToken');
        }
        case 'lemonslice': {
          expect(fixture.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${LEMONSLICE_PATH}`]);
          const [req] = fixture.requests;
          expect(req?.headers['x-api-key']).toBe(API_KEY.lemonslice);
          expect(req?.headers['content-type']).toBe('application/json');
          expect(req?.body).toEqual({
            transport_type: 'livekit',
            agent_id: AVATAR_ID,
            properties: { livekit_url: livekit.url, livekit_token: expect.any(String) },
          });
          return field(req?.body, 'properties', 'livekit_token');
        }
      }
    })();
    expect(typeof token).toBe('string');
    const claims = await tokenClaims(token as string);
    expect(claims.sub).toBe(AVATAR_IDENTITY[provider]);
    expect(claims.kind).toBe('agent');
    // Joining this room, and nothing else: no other room, no admin, no room creation or listing.
    expect(claims.video).toEqual({ roomJoin: true, room: agentRoom.name });
    expect(claims.attributes).toEqual({ [PUBLISH_ON_BEHALF_ATTRIBUTE]: agentIdentity });
  });

  test("the session's speech goes to our output, aimed at the provider's avatar", () => {
    expect(session.output.audio).toBe(output);
    expect(output).toBeInstanceOf(DataStreamAudioOutput);
    expect(output.avatarIdentity).toBe(AVATAR_IDENTITY[provider]);
    expect(output.room).toBe(agentRoom);
    expect(output.sampleRate).toBe(sampleRate);
  });

  test('the avatar the provider sends plays the speech and reports it finished', async () => {
    await fixture.joined;
    const audio = session.output.audio;
    if (!audio) throw new Error('the session has no audio output');
    for (const frame of tone(1, sampleRate ?? 24_000)) await audio.captureFrame(frame);
    audio.flush();
    const ev = await audio.waitForPlayout();
    expect(ev.interrupted).toBe(false);
    expect(ev.playbackPosition).toBeGreaterThan(1 - FRAME_SECONDS);
    expect(ev.playbackPosition).toBeLessThan(1 + FRAME_SECONDS);
  });
});

// ---------------------------------------------------------------------------------------------
// Mistakes and failures

describe('settings the worker refuses at start-up', () => {
  const config = (provider: CloudAvatarProvider, avatarId?: string): CloudAvatarConfig => ({
    provider,
    apiKey: 'some-key',
    avatarId,
    apiUrl: undefined,
  });
  const errorOf = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('expected an error');
  };

  test("AVATAR=hedra: a config error with the vendor's notice", () => {
    const err = errorOf(() => createCloudAvatar(config('hedra')));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^AVATAR=hedra: The Hedra realtime avatar service has been disabled/);
  });

  test.each(['anam', 'lemonslice'] as const)('AVATAR=%s without AVATAR_ID: a config error naming it', (provider) => {
    const err = errorOf(() => createCloudAvatar(config(provider)));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`^AVATAR=${provider} needs AVATAR_ID`));
  });

  test('AVATAR=bey without BEY_API_KEY: a config error naming it', () => {
    const err = errorOf(() => parseConfig({ AVATAR: 'bey' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^AVATAR=bey needs BEY_API_KEY/);
  });
});

describe('a provider whose API fails', () => {
  let agentRoom: Room;

  beforeAll(async () => {
    agentRoom = await joinRoom(livekit, { room: uniqueRoom('cloud-down'), identity: 'agent-down' });
  });

  afterAll(async () => {
    await agentRoom.disconnect();
  });

  // Concurrent: each waits out its plugin's retry schedule, which no setting of ours shortens.
  test.concurrent.each([
    ['bey' as const, /Bey Avatar Session/],
    ['anam' as const, /Anam \/v1\/auth\/session-token failed: 500/],
    ['lemonslice' as const, /LemonSlice Avatar Session/],
  ])('AVATAR=%s: start fails with the provider named, after a bounded number of tries', async (provider, message) => {
    const fixture = await FIXTURES[provider](API_KEY[provider]);
    fixture.failWith = 500;
    const session = unstartedSession();
    const startedAt = performance.now();
    try {
      const start = startCloudAvatar(
        cloudConfig(provider, fixture.apiUrl),
        livekit,
        JOIN_TIMEOUT_MS,
        session,
        agentRoom,
        log(),
      );
      await expect(start).rejects.toThrow(message);
      expect(performance.now() - startedAt).toBeLessThan(RETRIES_BOUND_MS);
      expect(fixture.requests).toHaveLength(ATTEMPTS[provider]);
      expect(session.output.audio).not.toBeInstanceOf(DataStreamAudioOutput);
    } finally {
      await fixture.close();
    }
  });
});
