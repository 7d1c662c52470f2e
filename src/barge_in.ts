// A deliberate cut-in (a typed message, "Say this"): whatever the agent is saying stops, even speech
// that refuses ordinary interruptions, and the new speech starts only once the old one has wound
// down. Starting it sooner lets agents' transcript sync mix the two segments up: the new text
// lands in the old segment and the transcript of what the avatar then says stops after a word.
import type { voice } from '@livekit/agents';

/** An interruption that takes longer than this is left to finish on its own. */
const BARGE_IN_WAIT_MS = 2000;

/** The future of an interruption; `undefined` when the session is not running (nothing to cut). */
function interrupt(session: voice.AgentSession, force: boolean): Promise<void> | undefined {
  try {
    return session.interrupt({ force }).await;
  } catch {
    return undefined;
  }
}

export async function bargeIn(session: voice.AgentSession): Promise<void> {
  // An ordinary interruption resolves once the speech has wound down (its audio cleared and
  // accounted for); a forced one resolves at once, so it is only for speech that refuses the other.
  const done = interrupt(session, false) ?? interrupt(session, true);
  if (!done) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, BARGE_IN_WAIT_MS);
  });
  await Promise.race([done.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}
