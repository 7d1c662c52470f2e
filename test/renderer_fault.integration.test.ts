// The avatar's renderer failing, in a real room: the conversation goes on audio-only. A renderer that
// breaks mid-conversation stops the picture (one log line however many frames fail) while the voice
// plays on, and the picture resumes with the next utterance once it draws again; a renderer that cannot
// even be prepared leaves the agent speaking through RoomIO's audio track, without a face.
import { initializeLogger, voice } from '@livekit/agents';
import { dispose, type RemoteParticipant, type Room, TrackKind } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Renderer, RenderInput } from '../src/avatar/renderer.ts';
import { MouthBlockRenderer } from '../src/avatar/renderers/mouth_block.ts';
import { parseConfig } from '../src/config.ts';
import { Flite } from '../src/offline/flite.ts';
import { startAvatar } from '../src/plugins/avatar_modes.ts';
import { LocalAvatarSession } from '../src/plugins/local_avatar.ts';
import { OfflineTTS } from '../src/plugins/offline_tts.ts';
import { AvRecorder } from './helpers/av_recorder.ts';
import { AudioListener, joinRoom, uniqueRoom, waitForParticipant } from './helpers/participant.ts';
import { type LogLine, recordedLogger } from './helpers/recorded_logger.ts';

const livekit = inject('livekit');
const config = parseConfig({ AVATAR: 'local', AVATAR_RENDERER: 'mouth-block' });
const SENTENCE = 'The picture may stop, but you can still hear me talking.';
/** Sound each sentence carries at least at the subscriber (Flite says it in about 3 s). */
const SENTENCE_SOUND_MS = 1000;
/** Frames a subscriber may still receive after the renderer broke: those already on their way. */
const IN_FLIGHT_FRAMES = 3;
const FRAMES_TIMEOUT_MS = 20_000;

let flite: Flite;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  flite = new Flite();
  await flite.synthesize('Warm up.', 'slt');
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await flite?.close();
  await dispose();
});

/** The measuring renderer, until `broken`: then every frame throws, as a lost GPU or a crashed model would. */
class BreakableRenderer implements Renderer {
  broken = false;
  readonly #inner = new MouthBlockRenderer(config.avatar.width, config.avatar.height);

  render(input: RenderInput) {
    if (this.broken) throw new Error('renderer lost its device');
    return this.#inner.render(input);
  }

  reset(): void {
    this.#inner.reset();
  }
}

/** An agent room, a user room that sees the agent, and a session that only speaks (no STT, no LLM). */
async function rooms(): Promise<{ agentRoom: Room; room: Room; session: voice.AgentSession }> {
  const name = uniqueRoom('renderer');
  const agentRoom = await joinRoom(livekit, { room: name, identity: `agent-${name}` });
  cleanups.push(() => agentRoom.disconnect());
  const room = await joinRoom(livekit, { room: name });
  cleanups.push(() => room.disconnect());
  const session = new voice.AgentSession({ vad: null, tts: new OfflineTTS('slt', flite) });
  cleanups.push(() => session.close());
  return { agentRoom, room, session };
}

const agentIn = (room: Room, agentRoom: Room): Promise<RemoteParticipant> =>
  waitForParticipant(room, (p) => p.identity === agentRoom.localParticipant?.identity, 10_000);

describe('the avatar renderer failing', { timeout: 90_000 }, () => {
  test('mid-conversation: the voice plays on, one log line, and the picture comes back with the renderer', async () => {
    const { agentRoom, room, session } = await rooms();
    const lines: LogLine[] = [];
    const renderer = new BreakableRenderer();
    const avatar = new LocalAvatarSession(renderer, config.avatar, recordedLogger(lines));
    await avatar.start(session, agentRoom);
    cleanups.push(async () => avatar.runner?.close());
    await session.start({
      agent: new voice.Agent({ instructions: '' }),
      room: agentRoom,
      outputOptions: { audioEnabled: false },
    });
    const agent = await agentIn(room, agentRoom);
    const rec = new AvRecorder(room, agent);
    cleanups.push(() => rec.close());
    const listener = new AudioListener(room, agent);
    cleanups.push(() => listener.close());
    await rec.waitForFrames(10, FRAMES_TIMEOUT_MS);

    renderer.broken = true;
    await session.say(SENTENCE).waitForPlayout();
    await listener.waitForSound(SENTENCE_SOUND_MS);
    const framesAfterFirst = rec.video.length;
    // A second utterance tries the renderer again: it fails again, and the voice still plays.
    await session.say(SENTENCE).waitForPlayout();
    await listener.waitForSound(2 * SENTENCE_SOUND_MS);
    expect(rec.video.length - framesAfterFirst).toBeLessThanOrEqual(IN_FLIGHT_FRAMES);
    expect(avatar.runner?.snapshot().rendererErrors).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      expect.stringMatching(/^avatar renderer failed; audio continues/),
    ]);

    renderer.broken = false;
    const framesBefore = rec.video.length;
    session.say(SENTENCE);
    await rec.waitForFrames(framesBefore + 30, FRAMES_TIMEOUT_MS);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toContain(
      'avatar renderer recovered; video resumes',
    );
  });

  test('at start-up: the agent speaks through RoomIO audio, without a face, and says why once', async () => {
    const { agentRoom, room, session } = await rooms();
    const lines: LogLine[] = [];
    const cannotPrepare = async () => {
      throw new Error('character pack unreadable');
    };
    const started = await startAvatar(config, session, agentRoom, cannotPrepare, recordedLogger(lines));
    expect(started).toBeUndefined();
    await session.start({
      agent: new voice.Agent({ instructions: '' }),
      room: agentRoom,
      outputOptions: { audioEnabled: !started },
    });
    const agent = await agentIn(room, agentRoom);
    const listener = new AudioListener(room, agent);
    cleanups.push(() => listener.close());

    session.say(SENTENCE);
    await listener.waitForSound(SENTENCE_SOUND_MS);
    const kinds = [...agent.trackPublications.values()].map((p) => p.kind);
    expect(kinds).toEqual([TrackKind.KIND_AUDIO]);
    expect(lines.map((l) => `${l.level}: ${l.msg}`)).toEqual([
      'error: avatar renderer could not be prepared (character pack unreadable); speaking without a face',
    ]);
  });
});
