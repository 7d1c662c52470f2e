// The browser's side of POST /api/token: a livekit TokenSource that sends the snake_case body the API
// takes and, when the API refuses, throws its one-line `error` so the page can show the real reason.
import {
  TokenSource,
  type TokenSourceConfigurable,
  type TokenSourceFetchOptions,
  type TokenSourceResponseObject,
} from 'livekit-client';
import { TOKEN_ERROR_NAME } from './agent_status.ts';

export const TOKEN_ENDPOINT = '/api/token';

/** What the token API accepts as a room name; an invite link with anything else is not followed. */
const ROOM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_PARTICIPANT_NAME_CHARS = 64;

export function isValidRoomName(name: string): boolean {
  return ROOM_NAME_PATTERN.test(name);
}

export class TokenRequestError extends Error {
  override name = TOKEN_ERROR_NAME;
}

interface TokenRequestBody {
  room_name?: string;
  participant_name?: string;
  room_config?: { agents: Array<{ agent_name?: string; metadata?: string }> };
}

/**
 * The API refuses fields it does not know, so only the ones it takes are sent, and only when set. It
 * picks identities itself; participant identity, metadata and attributes are not the browser's to choose.
 */
export function tokenRequestBody(options: TokenSourceFetchOptions): TokenRequestBody {
  const body: TokenRequestBody = {};
  if (options.roomName) body.room_name = options.roomName;
  const name = options.participantName?.trim();
  if (name) body.participant_name = name;
  if (options.agentName || options.agentMetadata) {
    body.room_config = {
      agents: [
        {
          ...(options.agentName && { agent_name: options.agentName }),
          ...(options.agentMetadata && { metadata: options.agentMetadata }),
        },
      ],
    };
  }
  return body;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

async function requestToken(options: TokenSourceFetchOptions): Promise<TokenSourceResponseObject> {
  let response: Response;
  try {
    response = await fetch(TOKEN_ENDPOINT, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(tokenRequestBody(options)),
      cache: 'no-store',
    });
  } catch {
    throw new TokenRequestError('Could not reach the token service. Check your connection and try again.');
  }
  // A proxy in front of the app may answer with HTML; then there is no `error` to show.
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = isRecord(body) && typeof body.error === 'string' && body.error.trim() ? body.error : undefined;
    throw new TokenRequestError(message ?? `The token service failed (HTTP ${response.status}). Try again later.`);
  }
  if (!isRecord(body) || typeof body.serverUrl !== 'string' || typeof body.participantToken !== 'string') {
    throw new TokenRequestError('The token service sent an answer this page does not understand.');
  }
  return { serverUrl: body.serverUrl, participantToken: body.participantToken };
}

export interface SessionTokenSource {
  source: TokenSourceConfigurable;
  /** The session is over: stop asking the API for tokens. */
  retire(): void;
}

/**
 * One token source per session, so a new join never reuses a token (and room) cached by the last one.
 * useSession refetches a token whenever its room disconnects, leaving included; once retired, that
 * refetch gets the last answer back instead of spending one of the visitor's rate-limited requests.
 */
export function createSessionTokenSource(): SessionTokenSource {
  let retired = false;
  let last: TokenSourceResponseObject | undefined;
  const source = TokenSource.custom(async (options) => {
    if (retired && last) return last;
    last = await requestToken(options);
    return last;
  });
  return {
    source,
    retire: () => {
      retired = true;
    },
  };
}
