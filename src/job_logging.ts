// Every log line of a job names its room, and the person the agent talks to once there is one, so one
// conversation can be followed in a worker's interleaved JSON log. agents' job process already
// narrows its process-wide logger to the job's id this way; agents 1.9 does not export the setter,
// so this replaces the same global it reads (`log()`), before the session's parts are created.
import { log } from '@livekit/agents';

const LOGGER_KEY = Symbol.for('@livekit/agents:logger');

type Logger = ReturnType<typeof log>;

export interface JobLogs {
  logger: Logger;
  /**
   * From now on every line names this participant (lines about someone else keep theirs). Loggers
   * made before the person was known follow too: the participant is added as each line is written.
   */
  setParticipant(identity: string): void;
}

/** From now on, loggers made with agents' `log()` in this process carry `fields`. */
export function scopeJobLogs(fields: Record<string, unknown>): JobLogs {
  let participant: string | undefined;
  const logger = log().child(fields, {
    formatters: {
      log: (line: object) => (participant === undefined || 'participant' in line ? line : { participant, ...line }),
    },
  });
  (globalThis as Record<symbol, unknown>)[LOGGER_KEY] = logger;
  return {
    logger,
    setParticipant: (identity) => {
      participant = identity;
    },
  };
}
