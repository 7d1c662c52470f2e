// Turn taking that runs on the worker itself, so a self-hosted server needs no LiveKit Cloud models.
import { inference, type voice } from '@livekit/agents';
import type { Config } from '../config.ts';

type TurnHandling = NonNullable<voice.AgentSessionOptions['turnHandling']>;

export function createTurnDetection(mode: Config['turnDetection']): TurnHandling {
  return {
    // 'model' is LiveKit's end-of-turn model run in-process (v1-mini); 'vad' ends the turn on silence.
    turnDetection: mode === 'model' ? new inference.TurnDetector({ version: 'v1-mini' }) : 'vad',
    // The adaptive interruption detector is a cloud model; VAD-based interruption works everywhere.
    // Resuming after a false interruption needs an output that can pause; the avatar output cannot.
    interruption: { mode: 'vad', resumeFalseInterruption: false },
  };
}
