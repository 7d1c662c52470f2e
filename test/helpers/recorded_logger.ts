// A stand-in for agents' pino logger that keeps what is logged, so a test can count the lines.
import type { log } from '@livekit/agents';

export interface LogLine {
  level: string;
  msg: string;
}

export function recordedLogger(lines: LogLine[]): ReturnType<typeof log> {
  const line = (level: string) => (first: unknown, second?: unknown) =>
    lines.push({ level, msg: typeof first === 'string' ? first : String(second ?? '') });
  const logger = {
    child: () => logger,
    trace: () => {},
    debug: () => {},
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    fatal: line('error'),
  };
  return logger as unknown as ReturnType<typeof log>;
}
