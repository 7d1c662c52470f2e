// A model stage that fails or hangs, in a real room: the agent says a short line instead of falling
// silent, logs one line naming the stage, and the next turn is answered as usual. First an in-process
// session whose STT, LLM and TTS are wrapped to fail or hang on demand (short limits), then the real
// worker against the OpenAI fixture serving errors, hung requests and a stalled stream (cloud limits).
import { initializeLogger, type VAD, voice } from '@livekit/agents';
import { dispose } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { Flite } from '../src/offline/flite.ts';
import { GuardedLLM } from '../src/plugins/guarded_llm.ts';
import { GuardedSTT } from '../src/plugins/guarded_stt.ts';
import { GuardedTTS } from '../src/plugins/guarded_tts.ts';
import { LLM_APOLOGY } from '../src/plugins/offline_llm.ts';
import { STT_APOLOGY } from '../src/plugins/offline_stt.ts';
import { OfflineTTS, TTS_APOLOGY } from '../src/plugins/offline_tts.ts';
import { openaiLLM, openaiSTT } from '../src/plugins/openai_models.ts';
import { CLOUD_LIMITS, type StageLimits } from '../src/plugins/stage_guard.ts';
import { createTurnDetection } from '../src/plugins/turn_detection.ts';
import { createVad } from '../src/plugins/vad.ts';
import {
  FIXTURE_API_KEY,
  type OpenAIFixture,
  type RecordedRequest,
  startOpenAIFixture,
} from './fixtures/openai_fixture.ts';
import { Arrivals } from './helpers/arrivals.ts';
import { type FaultMode, FaultyLLM, FaultySTT, FaultyTTS } from './helpers/faulty_models.ts';
import {
  AudioListener,
  joinRoom,
  Microphone,
  sendChat,
  Transcripts,
  uniqueRoom,
  waitForAgent,
  waitForParticipant,
} from './helpers/participant.ts';
import { type LogLine, recordedLogger } from './helpers/recorded_logger.ts';
import { synthesize } from './helpers/speech.ts';
import { type RunningWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
const REPLY = 'The weather is fine today.';
const HEARD = 'what is the weather like today';
/**
 * Short enough that a hang costs the test little, long enough for a loaded 2-core machine: the
 * fixture answers at once, Flite speaks a sentence in well under a second.
 */
const TEST_LIMITS: StageLimits = {
  stt: { baseMs: 3000, perSpeechSecondMs: 0 },
  llm: { firstMs: 3000, idleMs: 3000 },
  tts: { firstMs: 5000, idleMs: 3000 },
};
/** Sound the apology carries at least (Flite says it in about 4 s). */
const APOLOGY_SOUND_MS = 1000;
const TURN_TIMEOUT_MS = 30_000;

let fixture: OpenAIFixture;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  fixture = await startOpenAIFixture({ reply: () => REPLY, transcript: () => HEARD });
});

afterEach(async () => {
  fixture.behaviour.faults = {};
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await fixture?.close();
  await dispose();
});

const has = (text: string) => (said: string) => said.includes(text);
/** What the user said last, as the LLM was asked it. */
const lastUserText = (request: RecordedRequest | undefined) => {
  const messages = (request?.body.messages ?? []) as { role: string; content: unknown }[];
  return String(messages.filter((m) => m.role === 'user').at(-1)?.content ?? '');
};

describe('an in-process session whose models fail or hang', { timeout: 60_000 }, () => {
  let vad: VAD;
  let flite: Flite;
  let question: Int16Array;

  beforeAll(async () => {
    vad = createVad();
    flite = new Flite();
    question = (await synthesize('What is the weather like today?')).pcm;
  });

  afterAll(async () => {
    await flite?.close();
  });

  /** A user and an agent session in a new room, with a switch per stage. */
  async function converse() {
    const config = parseConfig({ OPENAI_API_KEY: FIXTURE_API_KEY, OPENAI_BASE_URL: fixture.baseURL });
    const stt = new FaultySTT(openaiSTT(config.openai));
    const llm = new FaultyLLM(openaiLLM(config.openai));
    const tts = new FaultyTTS(new OfflineTTS('slt', flite));
    const lines: LogLine[] = [];
    const logger = recordedLogger(lines);
    const session: voice.AgentSession = new voice.AgentSession({
      vad,
      stt: new GuardedSTT(stt, TEST_LIMITS.stt, logger, () => session.say(STT_APOLOGY)),
      llm: new GuardedLLM(llm, TEST_LIMITS.llm, logger),
      tts: new GuardedTTS(tts, () => flite.synthesize(TTS_APOLOGY, 'slt'), TEST_LIMITS.tts, logger),
      turnHandling: createTurnDetection('vad'),
    });
    const errors = new Arrivals<voice.ErrorEvent>();
    session.on(voice.AgentSessionEventTypes.Error, errors.push);
    let closed = false;
    session.on(voice.AgentSessionEventTypes.Close, () => {
      closed = true;
    });

    const name = uniqueRoom('faults');
    const agentRoom = await joinRoom(livekit, { room: name, identity: `agent-${name}` });
    cleanups.push(() => agentRoom.disconnect());
    const room = await joinRoom(livekit, { room: name });
    cleanups.push(() => room.disconnect());
    const transcripts = new Transcripts(room);
    await session.start({
      agent: new voice.Agent({ instructions: 'You are the fault test agent.' }),
      room: agentRoom,
      inputOptions: { closeOnDisconnect: false },
    });
    cleanups.push(() => session.close());
    const agent = await waitForParticipant(room, (p) => p.identity === agentRoom.localParticipant?.identity, 10_000);
    // Typed input from a participant the agent's room does not know yet is dropped.
    await waitForParticipant(agentRoom, (p) => p.identity === room.localParticipant?.identity, 10_000);
    const listener = new AudioListener(room, agent);
    cleanups.push(() => listener.close());
    return {
      room,
      agent,
      transcripts,
      listener,
      errors,
      lines,
      switches: { stt: stt.fault, llm: llm.fault, tts: tts.fault },
      isClosed: () => closed,
    };
  }

  type Conversation = Awaited<ReturnType<typeof converse>>;

  /** After the fault: one log line naming the stage, a recoverable error event, the session still open. */
  function expectOneFault(c: Conversation, stage: 'STT' | 'LLM' | 'TTS') {
    expect(c.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      expect.stringMatching(new RegExp(`^${stage} failed \\(`)),
    ]);
    expect(c.errors.items.map((e) => [(e.error as { type: string }).type, e.error.recoverable])).toEqual([
      [`${stage.toLowerCase()}_error`, true],
    ]);
    expect(c.isClosed()).toBe(false);
  }

  test.each(['fail', 'hang'] as FaultMode[])(
    'the LLM %s: the agent apologises, and the next typed message gets its reply',
    async (mode) => {
      const c = await converse();
      c.switches.llm.mode = mode;
      await sendChat(c.room, 'How is the weather?');
      await c.transcripts.waitFor(c.agent.identity, has(LLM_APOLOGY), TURN_TIMEOUT_MS);
      await c.listener.waitForSound(APOLOGY_SOUND_MS);
      expectOneFault(c, 'LLM');

      c.switches.llm.mode = 'ok';
      await sendChat(c.room, 'And now?');
      await c.transcripts.waitFor(c.agent.identity, has(REPLY), TURN_TIMEOUT_MS);
      expect(c.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    },
  );

  test.each(['fail', 'hang'] as FaultMode[])(
    'the TTS %s: the apology is heard in the backup voice, and the next typed message gets its reply',
    async (mode) => {
      const c = await converse();
      c.switches.tts.mode = mode;
      await sendChat(c.room, 'How is the weather?');
      const apology = await c.transcripts.waitFor(c.agent.identity, has(TTS_APOLOGY), TURN_TIMEOUT_MS);
      // The reply the TTS could not say is dropped: what the user reads is what they hear.
      expect(apology.text).not.toContain(REPLY);
      await c.listener.waitForSound(APOLOGY_SOUND_MS);
      expectOneFault(c, 'TTS');

      c.switches.tts.mode = 'ok';
      const soundBefore = c.listener.soundMs;
      await sendChat(c.room, 'And now?');
      await c.transcripts.waitFor(c.agent.identity, has(REPLY), TURN_TIMEOUT_MS);
      await c.listener.waitForSound(soundBefore + APOLOGY_SOUND_MS / 2);
    },
  );

  test.each(['fail', 'hang'] as FaultMode[])(
    'the STT %s: the agent asks the user to repeat, and hears the next question',
    async (mode) => {
      const c = await converse();
      const mic = await Microphone.publish(c.room, 16_000);
      cleanups.push(() => mic.close());
      c.switches.stt.mode = mode;
      mic.say(question);
      await c.transcripts.waitFor(c.agent.identity, has(STT_APOLOGY), TURN_TIMEOUT_MS);
      await c.listener.waitForSound(APOLOGY_SOUND_MS);
      expectOneFault(c, 'STT');

      c.switches.stt.mode = 'ok';
      mic.say(question);
      await c.transcripts.waitFor(c.agent.identity, has(REPLY), TURN_TIMEOUT_MS);
      expect(lastUserText(fixture.requests.filter((r) => r.path === '/v1/chat/completions').at(-1))).toBe(HEARD);
    },
  );
});

describe('the worker against a failing OpenAI-compatible server', () => {
  let worker: RunningWorker;

  beforeAll(async () => {
    worker = await startWorker(livekit, {
      OPENAI_API_KEY: FIXTURE_API_KEY,
      OPENAI_BASE_URL: fixture.baseURL,
      TURN_DETECTION: 'vad',
    });
    await worker.processesReady(1);
  });

  afterAll(async () => {
    await worker?.stop();
  });

  // One conversation through all three faults: the session outlives each of them.
  test('a stalled chat stream, a speech endpoint answering 500, a transcription never answered', {
    timeout: 150_000,
  }, async () => {
    const room = await joinRoom(livekit, {
      room: uniqueRoom('worker-faults'),
      dispatch: { agentName: worker.agentName, metadata: JSON.stringify({ greeting: '' }) },
    });
    cleanups.push(() => room.disconnect());
    const transcripts = new Transcripts(room);
    const agent = await waitForAgent(room, 20_000);
    const listener = new AudioListener(room, agent);
    cleanups.push(() => listener.close());
    // The job took the warm process; its replacement prewarms, which the turns should not share.
    await worker.processesReady(2);
    const inRoom = (pattern: string) => new RegExp(`"room":"${room.name}".*${pattern}`);
    const replies = () => transcripts.all.filter((t) => t.identity === agent.identity && t.text.includes(REPLY)).length;
    const nextReply = async (send: () => unknown) => {
      const before = replies();
      await send();
      await transcripts.waitFor(agent.identity, () => replies() > before, TURN_TIMEOUT_MS);
    };

    // The LLM: the words already streamed stay, the apology follows, after the idle limit.
    fixture.behaviour.faults = { chat: 'stall' };
    await sendChat(room, 'How is the weather?');
    const cut = await transcripts.waitFor(agent.identity, has(LLM_APOLOGY), TURN_TIMEOUT_MS);
    expect(cut.text).toMatch(/^Let me\s+Sorry/);
    await worker.waitForLog(inRoom(`LLM failed \\(no LLM output within ${CLOUD_LIMITS.llm.idleMs} ms\\)`));
    fixture.behaviour.faults = {};
    await nextReply(() => sendChat(room, 'And now?'));

    // The TTS: the apology in the Flite voice recorded for it; the next reply from the usual voice again.
    fixture.behaviour.faults = { speech: 'error' };
    const soundBefore = listener.soundMs;
    await sendChat(room, 'How is the weather?');
    await transcripts.waitFor(agent.identity, has(TTS_APOLOGY), TURN_TIMEOUT_MS);
    await listener.waitForSound(soundBefore + APOLOGY_SOUND_MS);
    await worker.waitForLog(inRoom('TTS failed \\(500 '));
    fixture.behaviour.faults = {};
    const speechBefore = fixture.requests.length;
    await nextReply(() => sendChat(room, 'And now?'));
    expect(fixture.requests.slice(speechBefore)).toContainEqual(
      expect.objectContaining({ path: '/v1/audio/speech', body: expect.objectContaining({ input: REPLY }) }),
    );

    // The STT: the agent asks the user to repeat once the limit has passed, then hears them.
    const mic = await Microphone.publish(room, 16_000);
    cleanups.push(() => mic.close());
    const question = (await synthesize('What is the weather like today?')).pcm;
    fixture.behaviour.faults = { transcription: 'hang' };
    mic.say(question);
    await transcripts.waitFor(agent.identity, has(STT_APOLOGY), TURN_TIMEOUT_MS);
    await worker.waitForLog(inRoom('STT failed \\(no transcript within'));
    fixture.behaviour.faults = {};
    await nextReply(() => mic.say(question));
    expect(lastUserText(fixture.requests.filter((r) => r.path === '/v1/chat/completions').at(-1))).toBe(HEARD);

    // One line per fault, and the session never closed.
    for (const stage of ['LLM', 'TTS', 'STT']) expect(worker.lines(inRoom(`${stage} failed \\(`))).toHaveLength(1);
    expect(worker.lines(inRoom('session closed'))).toEqual([]);
  });
});
