// "Say this": a participant asks the avatar to speak an exact text over an RPC. The text is cleaned
// and limited, and a refusal names its reason to the caller (RpcError) and in one log line.
import type { log, voice } from '@livekit/agents';
import { type Room, RpcError, type RpcInvocationData } from '@livekit/rtc-node';
import { bargeIn } from './barge_in.ts';
import { cleanUserText } from './user_text.ts';

export const SAY_RPC_METHOD = 'avatar.say';
export const SAY_MAX_CHARS = 500;
/** Requests per caller per window: a stuck key or a script cannot keep the avatar talking. */
export const SAY_RATE = { requests: 5, windowMs: 10_000 };
/** RpcError code for a refused text (application codes start above the 1xxx/15xx built-ins). */
const SAY_REFUSED = 2001;

export function registerSayRpc(room: Room, session: voice.AgentSession, logger: ReturnType<typeof log>): void {
  const recent = new Map<string, number[]>();

  const withinRate = (caller: string, now: number): boolean => {
    const times = (recent.get(caller) ?? []).filter((t) => now - t < SAY_RATE.windowMs);
    if (times.length >= SAY_RATE.requests) return false;
    times.push(now);
    recent.set(caller, times);
    return true;
  };

  room.localParticipant?.registerRpcMethod(SAY_RPC_METHOD, async ({ callerIdentity, payload }: RpcInvocationData) => {
    const refuse = (reason: string) => {
      logger.warn({ participant: callerIdentity }, `say refused: ${reason}`);
      return new RpcError(SAY_REFUSED, reason);
    };
    if (!withinRate(callerIdentity, Date.now())) {
      throw refuse(`too many requests; at most ${SAY_RATE.requests} every ${SAY_RATE.windowMs / 1000} s`);
    }
    const checked = cleanUserText(payload, SAY_MAX_CHARS);
    if (!checked.ok) throw refuse(checked.reason);
    // Like a typed message, an explicit request cuts in on whatever the avatar is saying.
    await bargeIn(session);
    const handle = session.say(checked.text);
    logger.info({ participant: callerIdentity, chars: checked.text.length }, 'saying requested text');
    return JSON.stringify({ id: handle.id });
  });
}
