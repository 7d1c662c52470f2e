// Typed messages (topic lk.chat) are a deliberate barge-in: they interrupt the agent even where a
// spoken interruption would be ignored (agents blocks interruptions while its echo canceller warms
// up), then get their reply.
import type { log, voice } from '@livekit/agents';

export function typedMessageHandler(logger: ReturnType<typeof log>): voice.TextInputCallback {
  return (session, { text, participantIdentity }) => {
    try {
      session.interrupt();
    } catch {
      // The current speech refuses ordinary interruptions; a typed message overrides that.
      void session.interrupt({ force: true });
    }
    logger.debug({ participant: participantIdentity, chars: text.length }, 'typed message');
    session.generateReply({ userInput: text });
  };
}
