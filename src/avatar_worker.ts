// The avatar worker (`npm run avatar-worker`): draws the face for agents that run elsewhere, in
// another process, on another machine, or written in Python. Dispatched by name into a room, it
// joins as the avatar of one agent, plays that agent's speech from LiveKit's avatar data streams
// through the same runner and renderer as the in-process avatar, and publishes the pair on its behalf.
import { fileURLToPath } from 'node:url';
import { AutoSubscribe, defineAgent, type JobContext, type JobProcess, type JobRequest, log } from '@livekit/agents';
import { ParticipantKind, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { AvatarRunner } from './avatar/avatar_runner.ts';
import { DataStreamReceiver } from './avatar/remote/data_stream_receiver.ts';
import { type AvatarDispatch, parseAvatarDispatch } from './avatar/remote/dispatch.ts';
import { PUBLISH_ON_BEHALF_ATTRIBUTE } from './avatar/remote/protocol.ts';
import { prepareRenderer, type RendererFactory } from './avatar/renderers/prepare.ts';
import { loadConfig, parseAvatarWorkerConfig } from './config.ts';
import { scopeJobLogs } from './job_logging.ts';
import { flushJobMetrics, jobMetrics } from './observability/job_metrics.ts';
import { countActive, recordAvatar } from './observability/session_metrics.ts';
import { AVATAR_STATS_ATTRIBUTE } from './plugins/local_avatar.ts';
import { checkCharacterPack, runWorker } from './worker_cli.ts';

/** How long a job waits for an agent to serve before it gives up. */
const AGENT_WAIT_MS = 30_000;

interface ProcessData {
  makeRenderer?: RendererFactory;
}

const loadWorkerConfig = () => loadConfig(parseAvatarWorkerConfig);

/**
 * Runs in the worker before a job is taken: a dispatch that names the agent gets its avatar identity
 * and lk.publish_on_behalf from the first moment; one that cannot be served is refused with a reason.
 */
async function acceptDispatch(request: JobRequest): Promise<void> {
  const dispatch = parseAvatarDispatch(request.job.metadata);
  if (typeof dispatch === 'string') {
    log().warn({ room: request.room?.name }, `${dispatch}; dispatch refused`);
    await request.reject();
    return;
  }
  if (!dispatch) return request.accept('avatar');
  await request.accept('avatar', dispatch.avatarIdentity, '', {
    [PUBLISH_ON_BEHALF_ATTRIBUTE]: dispatch.agentIdentity,
  });
}

export default defineAgent<ProcessData>({
  prewarm: async (proc: JobProcess<ProcessData>) => {
    jobMetrics();
    proc.userData.makeRenderer = await prepareRenderer(loadWorkerConfig().avatar);
  },

  entry: async (ctx: JobContext<ProcessData>) => {
    const config = loadWorkerConfig();
    const logs = scopeJobLogs({ room: ctx.job.room?.name, avatarWorker: config.avatarWorker.name });
    const logger = logs.logger;
    // Accepted already, so the metadata is either absent or good.
    const dispatch = parseAvatarDispatch(ctx.job.metadata) as AvatarDispatch | undefined;
    // The speech comes as data streams: no tracks to subscribe to.
    await ctx.connect(undefined, AutoSubscribe.SUBSCRIBE_NONE);
    const agent = await findAgent(ctx.room, dispatch?.agentIdentity);
    if (!agent) {
      logger.warn(`no agent to serve arrived within ${AGENT_WAIT_MS / 1000} s; leaving`);
      ctx.shutdown('no agent to serve');
      return;
    }
    // The avatar's conversation is with the agent it serves.
    logs.setParticipant(agent.identity);
    if (!dispatch) {
      await ctx.room.localParticipant?.setAttributes({ [PUBLISH_ON_BEHALF_ATTRIBUTE]: agent.identity });
    }

    const makeRenderer = ctx.proc.userData.makeRenderer ?? (await prepareRenderer(config.avatar));
    const runner = new AvatarRunner(ctx.room, makeRenderer(), config.avatar, logger);
    const receiver = new DataStreamReceiver(ctx.room, agent.identity, runner, logger);
    // Listening before the tracks go up: the agent starts streaming once it sees the video track.
    receiver.start();
    const metrics = jobMetrics();
    recordAvatar(metrics, runner);
    const sessionEnded = countActive(metrics);
    ctx.addShutdownCallback(async () => {
      receiver.close();
      await runner.close();
      sessionEnded();
      await flushJobMetrics();
    });
    runner.on('metrics', (metrics) => {
      ctx.room.localParticipant
        ?.setAttributes({ [AVATAR_STATS_ATTRIBUTE]: JSON.stringify(metrics) })
        .catch((err: unknown) => logger.debug({ err }, 'could not publish avatar metrics'));
    });
    ctx.room.on(RoomEvent.ParticipantDisconnected, (p) => {
      if (p.identity !== agent.identity) return;
      logger.info({ agent: agent.identity }, 'the agent left; so does its avatar');
      ctx.shutdown('the agent left');
    });
    await runner.start();
    logger.info({ agent: agent.identity }, 'avatar serving agent');
  },
});

/** The named agent, or else the first agent that is not itself an avatar, as LiveKit's receiver picks. */
async function findAgent(room: Room, identity: string | undefined): Promise<RemoteParticipant | undefined> {
  const serves = (p: RemoteParticipant) =>
    identity ? p.identity === identity : p.kind === ParticipantKind.AGENT && !p.attributes[PUBLISH_ON_BEHALF_ATTRIBUTE];
  const present = [...room.remoteParticipants.values()].find(serves);
  if (present) return present;
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), AGENT_WAIT_MS);
    const onJoin = (p: RemoteParticipant) => {
      if (serves(p)) done(p);
    };
    const done = (p: RemoteParticipant | undefined) => {
      clearTimeout(timer);
      room.off(RoomEvent.ParticipantConnected, onJoin);
      resolve(p);
    };
    room.on(RoomEvent.ParticipantConnected, onJoin);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = loadWorkerConfig();
  await checkCharacterPack(config.avatar);
  await runWorker({
    entry: fileURLToPath(import.meta.url),
    agentName: config.avatarWorker.name,
    port: config.avatarWorker.port,
    livekit: config.livekit,
    worker: config.worker,
    requestFunc: acceptDispatch,
  });
}
