// The token API's request body: the snake_case shape livekit-client's TokenSource.endpoint sends, held
// to what this app needs. Anything else is a 400 naming the field, never a token with surprises in it.
import { z } from 'zod';
import { DEFAULT_PRESET, PRESET_NAMES, type PresetName } from './presets.ts';

export const MAX_NAME_CHARS = 64;
export const MAX_AGENT_METADATA_CHARS = 1024;

// Control characters, the invisible ones that reorder or hide text (bidi overrides, zero-width), lone
// surrogates, line and paragraph separators, and U+FFFD, which stands for bytes that were not text.
const UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}\uFFFD]/u;
/** What a refusal may quote of the caller's own text: enough to recognise it, not enough to flood a log. */
const QUOTE_MAX_CHARS = 40;
/** Unknown fields named in one refusal; the rest are counted. */
const NAMED_UNKNOWN_FIELDS = 3;

const displayName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((s) => [...s].length <= MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`)
  .refine((s) => !UNPRINTABLE.test(s), 'must not contain control or invisible characters');

export const roomName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '-' or '_'");

const agentChoices = z.strictObject({
  preset: z.enum(PRESET_NAMES).optional(),
  voice: z
    .string()
    .regex(/^[\w-]{1,64}$/, 'must be a voice name such as alloy')
    .optional(),
});

const body = z.strictObject({
  room_name: roomName.optional(),
  participant_name: displayName.optional(),
  room_config: z
    .strictObject({
      agents: z
        .array(
          z.strictObject({
            agent_name: z.string().max(MAX_NAME_CHARS).optional(),
            metadata: z.string().max(MAX_AGENT_METADATA_CHARS).optional(),
          }),
        )
        .max(1, 'takes one agent')
        .optional(),
    })
    .optional(),
});

export interface TokenRequest {
  roomName?: string;
  participantName?: string;
  agentName?: string;
  preset: PresetName;
  voice?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Untrusted text cut short, with every control, invisible or line-breaking character escaped. */
function escapeUntrusted(text: string, maxChars: number): string {
  const chars = [...text];
  const short = chars.length > maxChars ? `${chars.slice(0, maxChars).join('')}…` : text;
  const escaped = (c: string) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`;
  return short.replace(/["\\]/g, '\\$&').replace(/[\p{C}\p{Zl}\p{Zp}\uFFFD]/gu, escaped);
}

/**
 * Untrusted text (a field name, an Origin) as a refusal quotes it: in double quotes, cut short and
 * escaped, so the message and its log line stay one honest line.
 */
export const quote = (text: string, maxChars = QUOTE_MAX_CHARS): string => `"${escapeUntrusted(text, maxChars)}"`;

function describe(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    // The path is ours; only the key is the caller's.
    const field = (key: string) => `"${path ? `${path}.` : ''}${escapeUntrusted(key, QUOTE_MAX_CHARS)}"`;
    const named = issue.keys.slice(0, NAMED_UNKNOWN_FIELDS).map(field);
    const more = issue.keys.length - named.length;
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  }
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** `json` is the parsed body, or undefined when the body was empty (all defaults). */
export function parseTokenRequest(json: unknown): Parsed<TokenRequest> {
  const parsed = body.safeParse(json ?? {});
  if (!parsed.success) return { ok: false, error: describe(parsed.error) };
  const { room_name, participant_name, room_config } = parsed.data;
  const agent = room_config?.agents?.[0];

  let choices: z.infer<typeof agentChoices> = {};
  if (agent?.metadata?.trim()) {
    let raw: unknown;
    try {
      raw = JSON.parse(agent.metadata);
    } catch {
      return { ok: false, error: 'room_config.agents.0.metadata: must be a JSON object' };
    }
    const checked = agentChoices.safeParse(raw);
    if (!checked.success) return { ok: false, error: describe(checked.error, 'room_config.agents.0.metadata') };
    choices = checked.data;
  }
  return {
    ok: true,
    value: {
      roomName: room_name,
      participantName: participant_name,
      agentName: agent?.agent_name || undefined,
      preset: choices.preset ?? DEFAULT_PRESET,
      voice: choices.voice,
    },
  };
}
