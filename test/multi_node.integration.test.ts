// Two livekit-server nodes sharing one Redis (a multi-node deployment), with a worker registered on each.
// Rooms are pinned to a node, the person joins through the other node, and the agent may come from the
// worker on either: LiveKit routes signal and agent jobs between nodes through Redis.
import { dispose, type Room } from '@livekit/rtc-node';
import { RoomAgentDispatch, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ensureServerBinary, freePorts, type RunningServer, startServer } from '../scripts/lib/livekit_server.ts';
import { ensureRedisBinary, type RunningRedis, startRedis } from '../scripts/lib/redis.ts';
import type { LiveKitConfig } from '../src/config.ts';
import {
  FIXTURE_API_KEY,
  type OpenAIFixture,
  type RecordedRequest,
  startOpenAIFixture,
} from './fixtures/openai_fixture.ts';
import { joinRoom, waitForAgent } from './helpers/participant.ts';
import { jobIdOf, type RunningWorker, servingWorker, startWorker } from './helpers/worker.ts';

const KEYS = { apiKey: 'nodekey', apiSecret: `node-secret-${crypto.randomUUID()}` };
const AGENT_NAME = `multi-node-agent-${crypto.randomUUID().slice(0, 8)}`;
/** Both nodes on this machine: clients and the other node reach each one on loopback. */
const NODE_IP = '127.0.0.1';
/** From a room's dispatch to the agent in it, with a warm process waiting. */
const AGENT_JOIN_BOUND_MS = 30_000;
/** Rooms tried before both workers must have served one (LiveKit offers each job to the least loaded). */
const MAX_ROOMS_TO_SPREAD = 4;
/** Rooms opened after one worker stops: every one must reach the survivor. */
const ROOMS_AFTER_STOP = 2;

interface Node {
  server: RunningServer;
  livekit: LiveKitConfig;
  id: string;
  log: string[];
}

let redis: RunningRedis;
let nodes: Node[] = [];
let workers: RunningWorker[] = [];
let fixture: OpenAIFixture;
const rooms: Room[] = [];

const greetingFor = (room: string) => `Welcome to ${room}.`;
const speechOf = (text: string) => (r: RecordedRequest) => r.path === '/v1/audio/speech' && r.body.input === text;

async function startNode(binary: string): Promise<Node> {
  const log: string[] = [];
  const server = await startServer({
    binary,
    ...KEYS,
    ports: await freePorts(),
    redisAddress: redis.address,
    nodeIp: NODE_IP,
    onLog: (line) => log.push(line),
  });
  const id = log.join('\n').match(/starting LiveKit server.*"nodeID": "(ND_\w+)"/)?.[1];
  if (!id) throw new Error(`no node id in the server's log:\n${server.logTail()}`);
  return { server, livekit: { url: server.url, ...KEYS }, id, log };
}

/** The node a worker registered with, from its "registered worker" line. */
function registeredNode(worker: RunningWorker): string | undefined {
  const line = worker.lines(/registered worker/).at(-1);
  return line && (JSON.parse(line) as { server_info?: { nodeId?: string } }).server_info?.nodeId;
}

interface Placement {
  room: string;
  /** Index of the node the room lives on. */
  host: number;
  /** Index of the node the person's connection came through. */
  via: number;
  /** Index of the worker that took the job. */
  worker: number;
}

/**
 * Creates a room on node `host` that dispatches the agent (its greeting names the room), has a person
 * join through node `via`, and resolves once the agent is in and greeting.
 */
async function openRoom(host: number, via: number, candidates: RunningWorker[]): Promise<Placement> {
  // Once every running worker has a warm process: on a busy machine one can take long to load.
  const running = candidates.filter((w) => w.process.exitCode === null && w.process.signalCode === null);
  await Promise.all(running.map((w) => w.spareReady()));
  const name = `multi-${crypto.randomUUID().slice(0, 8)}`;
  const hostNode = nodes[host] as Node;
  await new RoomServiceClient(hostNode.livekit.url, KEYS.apiKey, KEYS.apiSecret).createRoom({
    name,
    nodeId: hostNode.id,
    agents: [
      new RoomAgentDispatch({ agentName: AGENT_NAME, metadata: JSON.stringify({ greeting: greetingFor(name) }) }),
    ],
  });
  const room = await joinRoom((nodes[via] as Node).livekit, { room: name });
  rooms.push(room);
  const agent = await waitForAgent(room, AGENT_JOIN_BOUND_MS);
  const jobId = jobIdOf(agent.identity);
  const serving = await servingWorker(candidates, jobId, AGENT_JOIN_BOUND_MS);
  await fixture.waitFor(speechOf(greetingFor(name)), AGENT_JOIN_BOUND_MS);
  // The room is where it was put, whichever node the person and the worker are connected to.
  expect(hostNode.log.some((l) => l.includes('starting RTC session') && l.includes(name))).toBe(true);
  return { room: name, host, via, worker: workers.indexOf(serving) };
}

beforeAll(async () => {
  redis = await startRedis(ensureRedisBinary());
  const binary = await ensureServerBinary();
  nodes = await Promise.all([startNode(binary), startNode(binary)]);
  fixture = await startOpenAIFixture({ reply: () => 'Fine, thank you.', transcript: () => 'hello' });
  const env = {
    OPENAI_API_KEY: FIXTURE_API_KEY,
    OPENAI_BASE_URL: fixture.baseURL,
    AGENT_NAME,
    TURN_DETECTION: 'vad',
    AVATAR_RENDERER: 'mouth-block',
  };
  // Worker i registers with node i.
  workers = await Promise.all(nodes.map((node) => startWorker(node.livekit, env)));
});

afterEach(async () => {
  await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await fixture?.close();
  await Promise.all(nodes.map((n) => n.server.stop()));
  await redis?.stop();
  await dispose();
});

describe('two livekit-server nodes sharing Redis, one worker on each', () => {
  test('each worker registers with its own node; rooms on both nodes spread across both workers', async () => {
    expect(registeredNode(workers[0] as RunningWorker)).toBe(nodes[0]?.id);
    expect(registeredNode(workers[1] as RunningWorker)).toBe(nodes[1]?.id);

    const placements: Placement[] = [];
    while (placements.length < MAX_ROOMS_TO_SPREAD && new Set(placements.map((p) => p.worker)).size < 2) {
      const host = placements.length % 2;
      placements.push(await openRoom(host, 1 - host, workers));
    }
    console.log('room placements (node of the room, node the person came through, worker):', placements);
    expect(new Set(placements.map((p) => p.worker))).toEqual(new Set([0, 1]));
  });

  test('one worker stopped: new rooms, even on its node, go to the other worker', async () => {
    const [stopped, survivor] = workers as [RunningWorker, RunningWorker];
    await stopped.stop();

    const placements: Placement[] = [];
    for (let i = 0; i < ROOMS_AFTER_STOP; i++) {
      // On the stopped worker's node, joined through it: the job has to cross to the other node's worker.
      placements.push(await openRoom(0, 0, [stopped, survivor]));
    }
    console.log('room placements after worker 0 stopped:', placements);
    expect(placements.map((p) => p.worker)).toEqual(placements.map(() => 1));
  });
});
