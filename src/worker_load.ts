// How full this worker tells LiveKit it is. LiveKit's default is machine-wide CPU usage, which on a
// small machine jumps past the dispatch limit whenever a job process warms up, so rooms wait for a
// retry. An avatar session costs a steady share of CPU, so counting sessions is the better unit.
import type { AgentServer } from '@livekit/agents';

/**
 * livekit-server stops offering jobs to a worker whose load reaches its `agents.target_load` (0.7 by
 * default), and agents marks itself full at the same 0.7 in production: scale so `max` sessions hit it.
 */
export const FULL_LOAD = 0.7;

export function sessionLoad(maxSessions: number): (worker: AgentServer) => Promise<number> {
  return async (worker) => (FULL_LOAD * worker.activeJobs.length) / maxSessions;
}
