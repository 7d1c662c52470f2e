// LiveKit's avatar data-stream protocol, as LiveKit's Python and JS agents speak it: the agent streams
// each speech segment to the avatar participant as raw PCM, and the avatar reports playback back.

/** One byte stream per segment, raw interleaved s16le PCM; closing the stream ends the segment. */
export const AUDIO_STREAM_TOPIC = 'lk.audio_stream';
/** Agent → avatar: drop everything queued (an interruption). Payload "", answer "ok". */
export const RPC_CLEAR_BUFFER = 'lk.clear_buffer';
/** Avatar → agent: the segment's first audio went on air. Payload "". */
export const RPC_PLAYBACK_STARTED = 'lk.playback_started';
/** Avatar → agent, exactly once per segment: how much was played and whether it was cut short. */
export const RPC_PLAYBACK_FINISHED = 'lk.playback_finished';
/** The avatar participant's attribute naming the agent it publishes for (frontends pair them). */
export const PUBLISH_ON_BEHALF_ATTRIBUTE = 'lk.publish_on_behalf';

export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48_000;
export const MAX_CHANNELS = 2;

export interface StreamFormat {
  sampleRate: number;
  channels: number;
}

/** The stream's audio format from its attributes, or the reason it cannot be played. */
export function parseStreamFormat(attributes: Record<string, string> | undefined): StreamFormat | string {
  const rate = attributes?.sample_rate;
  const channels = attributes?.num_channels;
  if (rate === undefined || channels === undefined) return 'audio stream without sample_rate / num_channels attributes';
  const sampleRate = Number(rate);
  const count = Number(channels);
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    return `audio stream sample_rate "${rate.slice(0, 20)}" is not a whole number from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}`;
  }
  if (!Number.isInteger(count) || count < 1 || count > MAX_CHANNELS) {
    return `audio stream num_channels "${channels.slice(0, 20)}" is not 1 or 2`;
  }
  return { sampleRate, channels: count };
}

/**
 * The lk.playback_finished payload. Python's sender builds its event from exactly these snake_case
 * keys and refuses any other shape, so nothing is added or renamed.
 */
export function playbackFinishedPayload(positionSeconds: number, interrupted: boolean): string {
  return JSON.stringify({ playback_position: positionSeconds, interrupted, synchronized_transcript: null });
}

export interface PlaybackReport {
  positionSeconds: number;
  interrupted: boolean;
}

/** An lk.playback_finished payload read back, or the reason it cannot be. */
export function parsePlaybackFinished(payload: string): PlaybackReport | string {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return 'lk.playback_finished payload is not JSON';
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return 'lk.playback_finished payload is not a JSON object';
  }
  const fields = json as Record<string, unknown>;
  // agents-js senders once wrote camelCase; the protocol's keys are snake_case.
  const position = fields.playback_position ?? fields.playbackPosition;
  if (typeof position !== 'number' || !Number.isFinite(position) || position < 0) {
    return 'lk.playback_finished playback_position is not a number of seconds';
  }
  if (typeof fields.interrupted !== 'boolean') return 'lk.playback_finished interrupted is not true or false';
  return { positionSeconds: position, interrupted: fields.interrupted };
}
