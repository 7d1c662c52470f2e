// POST /api/token: mints a join token that dispatches the avatar agent. Safe to run in production:
// least grants, short TTL, validated body, size and rate limits, optional origin allow-list, and the
// API keys never leave the server. Every refusal is a JSON `{error}` with one line for people.
import { randomBytes } from 'node:crypto';
import { AccessToken, RoomAgentDispatch, RoomConfiguration, TrackSource } from 'livekit-server-sdk';
import { PRESETS } from './presets.ts';
import { RateLimiter } from './rate_limit.ts';
import { readTokenApiEnv, TokenApiConfigError, type TokenApiEnv } from './server_env.ts';
import { parseTokenRequest, type TokenRequest } from './token_request.ts';

export const MAX_BODY_BYTES = 4096;
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

function refuse(status: number, error: string, headers?: Record<string, string>): Response {
  // One line per refusal, for whoever runs the server; the client gets the same words.
  console.warn(`token API: ${status} ${error}`);
  return answer(status, { error }, headers);
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
  return hops[Math.max(0, hops.length - Math.max(1, trustedProxyHops))] ?? 'unknown';
}

/** The body as text, refusing early when it grows past the limit (Content-Length can lie or be absent). */
async function readBody(request: Request): Promise<string | 'too large'> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) return 'too large';
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return 'too large';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
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

  return async (request) => {
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
      return refuse(403, `origin ${origin ?? '(none)'} is not allowed`);
    }
    const rate = limiter.take(clientKey(request.headers, env.trustedProxyHops));
    if (!rate.allowed) {
      return refuse(429, 'Too many requests; try again in a minute.', {
        'retry-after': String(rate.retryAfterSeconds),
      });
    }
    const text = await readBody(request);
    if (text === 'too large') return refuse(413, `request body is over ${MAX_BODY_BYTES} bytes`);

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
