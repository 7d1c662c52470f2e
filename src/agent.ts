// The worker: registers with LiveKit under AGENT_NAME, is dispatched into rooms explicitly, and runs
// VAD → STT → LLM → TTS with local turn taking for whoever is in the room.
import { fileURLToPath } from 'node:url';
import { defineAgent, type JobContext, type JobProcess, type VAD, voice } from '@livekit/agents';
import { prepareRenderer, type RendererFactory } from './avatar/renderers/prepare.ts';
import { loadConfig } from './config.ts';
import { parseDispatchMetadata } from './dispatch_metadata.ts';
import { scopeJobLogs } from './job_logging.ts';
import { flushJobMetrics, jobMetrics } from './observability/job_metrics.ts';
import { recordAvatar, recordSession, recordTurn } from './observability/session_metrics.ts';
import { checkModelFiles, ModelFileError } from './offline/model_check.ts';
import { startAvatar } from './plugins/avatar_modes.ts';
import { createCloudAvatar } from './plugins/cloud_avatar.ts';
import {
  createTurnDetection,
  describeModels,
  loadOfflineEngines,
  type OfflineEngines,
  STT_APOLOGY,
} from './plugins/index.ts';
import { createGuardedModels } from './plugins/models.ts';
import { checkVad, createVad, VadUnavailableError } from './plugins/vad.ts';
import { followPeople } from './room_presence.ts';
import { registerSayRpc } from './say_rpc.ts';
import { registerChatInput } from './text_input.ts';
import { reportTurnTimings } from './turn_timings.ts';
import { checkCharacterPack, configMistake, runWorker, stopOnMistake } from './worker_cli.ts';

/**
 * The rate the room's audio stream delivers the user's voice at: the VAD and the recognizers all
 * work at 16 kHz, so rtc-node's native resampler is the only one on the way (agents' default, 24 kHz,
 * is resampled again in JavaScript for the VAD).
 */
const USER_AUDIO_SAMPLE_RATE = 16_000;

interface ProcessData {
  vad?: VAD;
  makeRenderer?: RendererFactory;
  engines?: OfflineEngines;
}

export default defineAgent<ProcessData>({
  // Once per job process, before any job: loading the models and drawing the character take a moment.
  prewarm: async (proc: JobProcess<ProcessData>) => {
    const config = loadConfig();
    // A warm process's memory counts in the worker's metrics too, not only once it has a job.
    jobMetrics();
    proc.userData.vad = createVad();
    proc.userData.engines = await loadOfflineEngines(config);
    // A renderer that cannot be prepared must not fail the process: entry tries again and, failing, speaks without a face.
    if (config.avatarMode === 'local')
      proc.userData.makeRenderer = await prepareRenderer(config.avatar).catch(() => undefined);
  },

  entry: async (ctx: JobContext<ProcessData>) => {
    const config = loadConfig();
    // ctx.room has no name until it connects; the job knows it from the start.
    const logs = scopeJobLogs({ room: ctx.job.room?.name, agent: config.agentName });
    const logger = logs.logger;

    const { choices, problems } = parseDispatchMetadata(ctx.job.metadata);
    for (const problem of problems) logger.warn(problem);

    const engines = ctx.proc.userData.engines ?? (await loadOfflineEngines(config));
    const onSttFailure = () => session.say(STT_APOLOGY);
    const session = new voice.AgentSession({
      vad: ctx.proc.userData.vad,
      ...createGuardedModels(config, engines, { voice: choices.voice, onSttFailure }, logger),
      turnHandling: createTurnDetection(config.turnDetection),
    });

    // The avatar starts as soon as the agent is in the room: video flows before the first word.
    if (config.avatarMode !== 'off') await ctx.connect();
    const makeRenderer = async () => ctx.proc.userData.makeRenderer ?? (await prepareRenderer(config.avatar));
    const avatar = await startAvatar(config, session, ctx.room, makeRenderer, logger);
    const metrics = jobMetrics();
    const sessionEnded = recordSession(session, metrics);
    if (avatar?.metrics) recordAvatar(metrics, avatar.metrics);
    ctx.addShutdownCallback(async () => {
      sessionEnded();
      await flushJobMetrics();
    });
    reportTurnTimings(session, ctx.room, logger, {
      avatarLatency: () => avatar?.latencyMs(),
      onTurn: (timings) => recordTurn(metrics, timings),
    });
    // A job outlives `entry`: end it when the conversation is over, or its process lingers.
    session.on(voice.AgentSessionEventTypes.Close, (ev) => ctx.shutdown(`session closed: ${ev.reason}`));

    await session.start({
      agent: new voice.Agent({ instructions: choices.instructions ?? config.instructions }),
      room: ctx.room,
      // The room, not one participant, decides when the session ends: see followPeople.
      // Typed messages are read by registerChatInput (limits on size, time and rate), not by RoomIO.
      inputOptions: { closeOnDisconnect: false, textEnabled: false, audioSampleRate: USER_AUDIO_SAMPLE_RATE },
      // With an avatar, the avatar publishes the voice; RoomIO would add a second audio track.
      outputOptions: { audioEnabled: !avatar },
    });
    // After start: RoomIO must see a person leave before followPeople does, to hand the conversation on.
    followPeople(ctx.room, session, logger, {
      end: (reason) => ctx.shutdown(reason),
      onPerson: logs.setParticipant,
    });
    registerSayRpc(ctx.room, session, logger);
    registerChatInput(ctx.room, session, logger);

    const greeting = choices.greeting ?? config.greeting;
    if (greeting) session.say(greeting);
  },
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = loadConfig();
  // A missing model stops the worker here, with the fix, not in every room it joins.
  await stopOnMistake(
    () => checkModelFiles(config),
    (err) => (err instanceof ModelFileError ? err.message : undefined),
  );
  await stopOnMistake(checkVad, (err) => (err instanceof VadUnavailableError ? err.message : undefined));
  process.stdout.write(`models: ${describeModels(config)}\n`);
  const cloud = config.cloudAvatar;
  if (cloud) await stopOnMistake(() => createCloudAvatar(cloud), configMistake);
  if (config.avatarMode === 'local') await checkCharacterPack(config.avatar);
  await runWorker({
    entry: fileURLToPath(import.meta.url),
    agentName: config.agentName,
    port: config.worker.port,
    livekit: config.livekit,
    worker: config.worker,
  });
}
