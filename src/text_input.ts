// Typed messages (topic lk.chat) are a deliberate barge-in: they interrupt the agent even where a
// spoken interruption would be ignored (agents blocks interruptions while its echo canceller warms
// up), then get their reply. Text is cleaned and limited like every other text people send the agent.
//
// The streams are read here rather than by RoomIO, which reads each one whole however large it grows
// and however long it stays open: here each sender has a rate, each stream a size and a time limit,
// and every refusal is one log line naming its reason (one per window for a sender over the rate).
import type { log, voice } from '@livekit/agents';
import type { Room, TextStreamReader } from '@livekit/rtc-node';
import { bargeIn } from './barge_in.ts';
import { errorText } from './error_text.ts';
import { isHuman } from './room_presence.ts';
import { SenderRate } from './sender_rate.ts';
import { cleanUserText } from './user_text.ts';

export const CHAT_TOPIC = 'lk.chat';
export const CHAT_MAX_CHARS = 2000;
/**
 * A stream longer than this is cut off unread: the longest message in UTF-8 with room for the spaces
 * and invisible characters cleaning removes, far below what would cost the process memory.
 */
export const CHAT_MAX_BYTES = 16_384;
/**
 * Messages per sender per window: people type far slower, a script or a stuck key does not. Looser than
 * "Say this" (5), as a conversation may be typed line by line.
 */
export const CHAT_RATE = { requests: 10, windowMs: 10_000 };
/** A typed message arrives within milliseconds; a stream still open after this is dropped. */
export const CHAT_STREAM_TIMEOUT_MS = 5000;

type Logger = ReturnType<typeof log>;
type Read = { text: string } | { refused: string };

/** Reads one message, within the size and time limits. */
async function readMessage(reader: TextStreamReader): Promise<Read> {
  const declared = reader.info.totalSize;
  if (declared !== undefined && declared > CHAT_MAX_BYTES) {
    await reader.close();
    return { refused: `the message is ${declared} bytes; the limit is ${CHAT_MAX_BYTES}` };
  }
  let text = '';
  let bytes = 0;
  let timedOut = false;
  // Closing the reader ends a read that is waiting: the loop below finishes as if the stream had.
  const timer = setTimeout(() => {
    timedOut = true;
    void reader.close();
  }, CHAT_STREAM_TIMEOUT_MS);
  try {
    for await (const chunk of reader) {
      bytes += Buffer.byteLength(chunk);
      // Leaving the loop closes the reader: the rest of the stream is never held.
      if (bytes > CHAT_MAX_BYTES) return { refused: `the message is over ${CHAT_MAX_BYTES} bytes` };
      text += chunk;
    }
  } catch (err) {
    return { refused: `the stream broke off (${errorText(err)})` };
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) return { refused: `the stream was still open after ${CHAT_STREAM_TIMEOUT_MS / 1000} s` };
  return { text };
}

/** Answers typed messages from the people in the room; call once the session has started. */
export function registerChatInput(room: Room, session: voice.AgentSession, logger: Logger): void {
  const rate = new SenderRate(CHAT_RATE);
  const ignore = (sender: string, reason: string) =>
    logger.warn({ participant: sender }, `chat message ignored: ${reason}`);

  /** Whether a message from `sender` is taken at all; a refusal is logged (once a window for the rate). */
  const admit = (sender: string): boolean => {
    // Every stream counts, refused ones too: a flood of bad messages is as bounded as one of good ones.
    const decision = rate.take(sender);
    if (decision === 'refused')
      ignore(sender, `too many messages; ${rate.describe()} (more this window are dropped unlogged)`);
    if (decision !== 'allowed') return false;
    // Someone who has just joined may not be announced yet (data and joins travel apart): only a
    // sender known to be something other than a person (another agent, an egress) is refused.
    const participant = room.remoteParticipants.get(sender);
    if (participant && !isHuman(participant)) {
      ignore(sender, 'the sender is not a person');
      return false;
    }
    return true;
  };

  const receive = async (reader: TextStreamReader, sender: string): Promise<void> => {
    if (!admit(sender)) return reader.close();
    const read = await readMessage(reader);
    if ('refused' in read) return ignore(sender, read.refused);
    const checked = cleanUserText(read.text, CHAT_MAX_CHARS);
    if (!checked.ok) return ignore(sender, checked.reason);
    await bargeIn(session);
    logger.debug({ participant: sender, chars: checked.text.length }, 'typed message');
    session.generateReply({ userInput: checked.text });
  };

  room.registerTextStreamHandler(CHAT_TOPIC, (reader, { identity }) => {
    receive(reader, identity).catch((err: unknown) =>
      logger.warn({ participant: identity }, `chat message not answered: ${errorText(err)}`),
    );
  });
  // Chat is text; a byte stream on its topic (a file, a confused client) is refused, not left unread.
  room.registerByteStreamHandler(CHAT_TOPIC, (reader, { identity }) => {
    void reader.close();
    if (admit(identity)) ignore(identity, 'sent as a byte stream; lk.chat takes text streams');
  });
}
