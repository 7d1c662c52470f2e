// Typed messages (topic lk.chat) are a deliberate barge-in: they interrupt the agent even where a
// spoken interruption would be ignored (agents blocks interruptions while its echo canceller warms
// up), then get their reply. Text is cleaned and limited like every other text people send the agent.
import type { log, voice } from '@livekit/agents';
import { bargeIn } from './barge_in.ts';
import { cleanUserText } from './user_text.ts';

export const CHAT_MAX_CHARS = 2000;

export function typedMessageHandler(logger: ReturnType<typeof log>): voice.TextInputCallback {
  return async (session, { text, participantIdentity }) => {
    const checked = cleanUserText(text, CHAT_MAX_CHARS);
    if (!checked.ok) {
      logger.warn({ participant: participantIdentity }, `chat message ignored: ${checked.reason}`);
      return;
    }
    await bargeIn(session);
    logger.debug({ participant: participantIdentity, chars: checked.text.length }, 'typed message');
    session.generateReply({ userInput: checked.text });
  };
}
