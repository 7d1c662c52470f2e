// The token API's settings, read from the server's environment only: nothing here reaches the browser.
// Secrets have no defaults; `npm start` passes the local server's dev keys explicitly.
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** Long enough that guessing is hopeless even without the rate limit (e.g. `openssl rand -hex 32`). */
export const MIN_API_SECRET_CHARS = 16;
const required = z.string({ error: 'is required' }).min(1, { error: 'is required' });
const wsUrl = z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' });

const schema = z.object({
  LIVEKIT_API_KEY: required,
  LIVEKIT_API_SECRET: required,
  /** Where the worker and this server reach LiveKit. */
  LIVEKIT_URL: wsUrl.default('ws://localhost:7880'),
  /** Where browsers reach LiveKit, when that differs (containers, proxies). */
  LIVEKIT_PUBLIC_URL: wsUrl.optional(),
  AGENT_NAME: z.string().min(1).default('avatar-agent'),
  /** Tokens only have to last until the join; the connection outlives them. */
  TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
  /** Tokens per client per minute. */
  TOKEN_RATE_LIMIT: positiveInt(20),
  /** Tokens per minute for all clients together: bounds what spoofed client addresses can get. */
  TOKEN_RATE_LIMIT_TOTAL: positiveInt(600),
  /** Comma-separated origins allowed to call the API (browsers send Origin); empty = any. */
  TOKEN_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /** Reverse proxies in front of this server that append to X-Forwarded-For (0 = none). */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** A shared secret callers must send as `Authorization: Bearer …`; unset = no secret asked. */
  TOKEN_API_SECRET: z
    .string()
    .min(MIN_API_SECRET_CHARS, { error: `must be at least ${MIN_API_SECRET_CHARS} characters` })
    .optional(),
});

/** Every variable the token API reads, for the docs check. */
export const WEB_CONFIG_VARIABLES = Object.keys(schema.shape);

export interface TokenApiEnv {
  apiKey: string;
  apiSecret: string;
  serverUrl: string;
  agentName: string;
  ttlSeconds: number;
  ratePerClient: number;
  rateTotal: number;
  allowedOrigins: string[];
  trustedProxyHops: number;
  /** Callers must present it (Authorization: Bearer); undefined = open to any caller the limits allow. */
  callerSecret?: string;
}

export class TokenApiConfigError extends Error {}

export function readTokenApiEnv(env: Record<string, string | undefined> = process.env): TokenApiEnv {
  // A variable set to nothing (`X=` in .env) means "use the default", as in the worker's config.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TokenApiConfigError(`${String(issue?.path[0])} ${issue?.message}`);
  }
  const e = parsed.data;
  return {
    apiKey: e.LIVEKIT_API_KEY,
    apiSecret: e.LIVEKIT_API_SECRET,
    serverUrl: e.LIVEKIT_PUBLIC_URL ?? e.LIVEKIT_URL,
    agentName: e.AGENT_NAME,
    ttlSeconds: e.TOKEN_TTL_SECONDS,
    ratePerClient: e.TOKEN_RATE_LIMIT,
    rateTotal: e.TOKEN_RATE_LIMIT_TOTAL,
    allowedOrigins: e.TOKEN_ALLOWED_ORIGINS,
    trustedProxyHops: e.TRUSTED_PROXY_HOPS,
    callerSecret: e.TOKEN_API_SECRET,
  };
}
