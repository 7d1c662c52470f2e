// "Say this": a participant asks the avatar to speak an exact text over an RPC. The text is cleaned
// and limited, and a refusal names its reason to the caller (RpcError) and in one log line (for a
// caller over the rate, one line per window however many requests it sends).
import type { log, voice } from '@livekit/agents';
import { type Room, RpcError, type RpcInvocationData } from '@livekit/rtc-node';
import { bargeIn } from './barge_in.ts';
import { SenderRate } from './sender_rate.ts';
import { cleanUserText } from './user_text.ts';

export const SAY_RPC_METHOD = 'avatar.say';
export const SAY_MAX_CHARS = 500;
/** Requests per caller per window: a stuck key or a script cannot keep the avatar talking. */
export const SAY_RATE = { requests: 5, windowMs: 10_000 };
/** RpcError code for a refused text (application codes start above the 1xxx/15xx built-ins). */
const SAY_REFUSED = 2001;

export function registerSayRpc(room: Room, session: voice.AgentSession, logger: ReturnType<typeof log>): void {
  const rate = new SenderRate(SAY_RATE);

  room.localParticipant?.registerRpcMethod(SAY_RPC_METHOD, async ({ callerIdentity, payload }: RpcInvocationData) => {
    /** The caller gets the reason; the log gets one line, or none (`logLine` null). */
    const refuse = (reason: string, logLine: string | null = reason) => {
      if (logLine !== null) logger.warn({ participant: callerIdentity }, `say refused: ${logLine}`);
      return new RpcError(SAY_REFUSED, reason);
    };
    // Every request counts, refused ones too: a flood of bad requests is as bounded as one of good ones.
    const decision = rate.take(callerIdentity);
    if (decision !== 'allowed') {
      const reason = `too many requests; ${rate.describe()}`;
      throw refuse(reason, decision === 'refused' ? `${reason} (more this window are refused unlogged)` : null);
    }
    const checked = cleanUserText(payload, SAY_MAX_CHARS);
    if (!checked.ok) throw refuse(checked.reason);
    // Like a typed message, an explicit request cuts in on whatever the avatar is saying.
    await bargeIn(session);
    let handle: voice.SpeechHandle;
    try {
      handle = session.say(checked.text);
    } catch (err) {
      throw refuse('the agent cannot speak right now', `session cannot speak: ${String(err)}`);
    }
    logger.info({ participant: callerIdentity, chars: checked.text.length }, 'saying requested text');
    return JSON.stringify({ id: handle.id });
  });
}
