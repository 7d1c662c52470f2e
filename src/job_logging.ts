// Every log line of a job names its room (and the person it talks to once known), so one
// conversation can be followed in a worker's interleaved JSON log. agents' job process already
// narrows its process-wide logger to the job's id this way; agents 1.9 does not export the setter,
// so this replaces the same global it reads (`log()`), before the session's parts are created.
import { log } from '@livekit/agents';

const LOGGER_KEY = Symbol.for('@livekit/agents:logger');

export type JobLogFields = { room?: string; participant?: string } & Record<string, unknown>;

/** From now on, loggers made with agents' `log()` in this process carry `fields`. */
export function scopeJobLogs(fields: JobLogFields): ReturnType<typeof log> {
  const scoped = log().child(fields);
  (globalThis as Record<symbol, unknown>)[LOGGER_KEY] = scoped;
  return scoped;
}
