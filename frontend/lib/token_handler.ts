// POST /api/token: mints a join token that dispatches the avatar agent. Safe to run in production:
// least grants, short TTL, validated body, size and rate limits, optional origin allow-list and
// shared secret, and the API keys never leave the server. Every refusal is a JSON `{error}` with one
// line for people, and at most one log line, which names no secret and no token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AccessToken, RoomAgentDispatch, RoomConfiguration, TrackSource } from 'livekit-server-sdk';
import { PRESETS } from './presets.ts';
import { RateLimiter } from './rate_limit.ts';
import { readTokenApiEnv, TokenApiConfigError, type TokenApiEnv } from './server_env.ts';
import { parseTokenRequest, quote, type TokenRequest } from './token_request.ts';

export const MAX_BODY_BYTES = 4096;
/** Refusals logged per minute; a flood of bad requests gets one summary line, not one line each. */
export const LOGGED_REFUSALS_PER_MINUTE = 30;
/** Longer than any address: a forged X-Forwarded-For entry cannot make the rate limiter's table huge. */
const MAX_CLIENT_KEY_CHARS = 64;
const BEARER = /^Bearer\s+(.+?)\s*$/i;
const DEFAULT_PARTICIPANT_NAME = 'Guest';
/** What a visitor may publish: their voice, camera and screen; nothing else (no ingress-like sources). */
const PUBLISH_SOURCES = [
  TrackSource.MICROPHONE,
  TrackSource.CAMERA,
  TrackSource.SCREEN_SHARE,
  TrackSource.SCREEN_SHARE_AUDIO,
];

export interface TokenResponse {
  serverUrl: string;
  roomName: string;
  participantName: string;
  participantToken: string;
}

const randomId = (bytes: number) => randomBytes(bytes).toString('hex');

function answer(status: number, body: object, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

/**
 * One line per refusal for whoever runs the server (the client gets the same words), up to
 * LOGGED_REFUSALS_PER_MINUTE; beyond that they are counted, and the count is logged when logging resumes.
 */
class RefusalLog {
  readonly #window: RateLimiter;
  #unlogged = 0;

  constructor(now: () => number) {
    this.#window = new RateLimiter(LOGGED_REFUSALS_PER_MINUTE, LOGGED_REFUSALS_PER_MINUTE, now);
  }

  write(status: number, error: string): void {
    if (!this.#window.take('log').allowed) {
      this.#unlogged++;
      return;
    }
    if (this.#unlogged > 0) {
      console.warn(
        `token API: ${this.#unlogged} more refusals were not logged (over ${LOGGED_REFUSALS_PER_MINUTE} a minute)`,
      );
      this.#unlogged = 0;
    }
    console.warn(`token API: ${status} ${error}`);
  }
}

/**
 * The client's address for rate limiting. Next.js fills X-Forwarded-For with the socket address only
 * when the request has none, so without trusted proxies a client could name itself; the global limit
 * bounds what that buys. Behind N proxies that append, the Nth entry from the end is the client.
 */
export function clientKey(headers: Headers, trustedProxyHops: number): string {
  const hops = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (hops.length === 0) return 'unknown';
  return (hops[Math.max(0, hops.length - Math.max(1, trustedProxyHops))] ?? 'unknown').slice(0, MAX_CLIENT_KEY_CHARS);
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether the request carries the shared secret as `Authorization: Bearer <secret>`. Both sides are
 * hashed first, so the comparison takes the same time whatever was sent and leaks not even the length.
 */
export function hasCallerSecret(headers: Headers, secret: string): boolean {
  const given = BEARER.exec(headers.get('authorization') ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(secret));
}

type Body = { text: string } | { status: number; error: string };

/** The body as text, refusing early when it grows past the limit (Content-Length can lie or be absent). */
async function readBody(request: Request): Promise<Body> {
  const tooLarge = { status: 413, error: `request body is over ${MAX_BODY_BYTES} bytes` };
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) return tooLarge;
  if (!request.body) return { text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => {});
        return tooLarge;
      }
      chunks.push(value);
    }
  } catch {
    // The client went away or sent a broken body: its problem, and no stack trace in our log.
    return { status: 400, error: 'request body could not be read' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)) };
  } catch {
    return { status: 400, error: 'request body is not valid UTF-8' };
  }
}

export async function mintToken(env: TokenApiEnv, req: TokenRequest): Promise<TokenResponse> {
  const roomName = req.roomName ?? `avatar-${randomId(4)}`;
  const participantName = req.participantName ?? DEFAULT_PARTICIPANT_NAME;
  const at = new AccessToken(env.apiKey, env.apiSecret, {
    // The server picks identities: nobody can take over someone else's place in a room.
    identity: `web-${randomId(6)}`,
    name: participantName,
    ttl: env.ttlSeconds,
  });
  at.addGrant({
    room: roomName,
    roomJoin: true,
    canPublish: true,
    canPublishSources: PUBLISH_SOURCES,
    canPublishData: true,
    canSubscribe: true,
    canUpdateOwnMetadata: false,
  });
  const instructions = PRESETS[req.preset].instructions;
  at.roomConfig = new RoomConfiguration({
    // Browsers lip-sync the avatar's audio and video only when the room asks for it.
    syncStreams: true,
    // Dispatch happens when this token creates the room; joining a running room (an invite) reuses its agent.
    agents: [
      new RoomAgentDispatch({
        agentName: env.agentName,
        metadata: JSON.stringify({ ...(instructions && { instructions }), ...(req.voice && { voice: req.voice }) }),
      }),
    ],
  });
  return { serverUrl: env.serverUrl, roomName, participantName, participantToken: await at.toJwt() };
}

export function createTokenHandler(
  loadEnv: () => TokenApiEnv = () => readTokenApiEnv(),
  now: () => number = Date.now,
): (request: Request) => Promise<Response> {
  let env: TokenApiEnv | undefined;
  let limiter: RateLimiter | undefined;
  const log = new RefusalLog(now);
  const refuse = (status: number, error: string, headers?: Record<string, string>): Response => {
    log.write(status, error);
    return answer(status, { error }, headers);
  };

  return async (request) => {
    // Next.js routes only POST here; the check keeps the handler honest when it is called directly.
    if (request.method !== 'POST')
      return refuse(405, `method ${quote(request.method)} is not allowed; use POST`, { allow: 'POST' });
    try {
      env ??= loadEnv();
    } catch (err) {
      if (!(err instanceof TokenApiConfigError)) throw err;
      console.error(`token API: not configured: ${err.message}`);
      return answer(500, { error: 'The token service is not configured; see the server log.' });
    }
    limiter ??= new RateLimiter(env.ratePerClient, env.rateTotal, now);

    const origin = request.headers.get('origin');
    if (env.allowedOrigins.length > 0 && (!origin || !env.allowedOrigins.includes(origin))) {
      return refuse(403, `origin ${origin ? quote(origin) : '(none)'} is not allowed`);
    }
    // Before the rate limit: callers without the secret cannot use up the budget of those who have it.
    if (env.callerSecret !== undefined && !hasCallerSecret(request.headers, env.callerSecret)) {
      return refuse(401, 'this token service needs its secret: send Authorization: Bearer <secret>', {
        'www-authenticate': 'Bearer',
      });
    }
    const rate = limiter.take(clientKey(request.headers, env.trustedProxyHops));
    if (!rate.allowed) {
      return refuse(429, 'Too many requests; try again in a minute.', {
        'retry-after': String(rate.retryAfterSeconds),
      });
    }
    const body = await readBody(request);
    if ('error' in body) return refuse(body.status, body.error);
    const { text } = body;

    let json: unknown;
    if (text.trim()) {
      const type = request.headers.get('content-type') ?? '';
      if (!/^application\/json\b/i.test(type)) return refuse(415, 'content-type must be application/json');
      try {
        json = JSON.parse(text);
      } catch {
        return refuse(400, 'request body is not valid JSON');
      }
    }
    const parsed = parseTokenRequest(json);
    if (!parsed.ok) return refuse(400, parsed.error);
    if (parsed.value.agentName && parsed.value.agentName !== env.agentName) {
      return refuse(400, `room_config.agents.0.agent_name: this server dispatches only "${env.agentName}"`);
    }
    return answer(200, await mintToken(env, parsed.value));
  };
}
