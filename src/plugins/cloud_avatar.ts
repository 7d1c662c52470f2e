// A cloud provider's avatar, started through the provider's own agents-js plugin (its API call and
// the avatar's join token). The speech then goes through our data-stream output instead of the
// plugin's: it waits for the avatar a bounded time and survives an avatar that stops answering.
import type { log, voice } from '@livekit/agents';
import * as anam from '@livekit/agents-plugin-anam';
import * as bey from '@livekit/agents-plugin-bey';
import * as hedra from '@livekit/agents-plugin-hedra';
import * as lemonslice from '@livekit/agents-plugin-lemonslice';
import type { Room } from '@livekit/rtc-node';
import { type CloudAvatarConfig, type CloudAvatarProvider, ConfigError, type LiveKitConfig } from '../config.ts';
import { errorText } from '../error_text.ts';
import { DataStreamAudioOutput } from './data_stream_audio_output.ts';

interface ProviderSession {
  start(session: voice.AgentSession, room: Room, livekit: LiveKitCredentials): Promise<unknown>;
}

interface LiveKitCredentials {
  livekitUrl: string;
  livekitApiKey: string;
  livekitApiSecret: string;
}

interface Provider {
  /** The identity the provider's avatar joins under (we set it, so our output knows whom to stream to). */
  identity: string;
  /** The rate the provider's renderer takes; undefined: any. */
  sampleRate?: number;
  /** Whether the provider reports lk.playback_started. */
  reportsPlaybackStart: boolean;
  create(config: CloudAvatarConfig, identity: string): ProviderSession;
}

/** The provider would not start an avatar (its API refused or could not be reached). */
export class CloudAvatarError extends Error {
  override name = 'CloudAvatarError';
}

/** LemonSlice renders from 16 kHz audio (its plugin's rate). */
const LEMONSLICE_SAMPLE_RATE = 16_000;

const PROVIDERS: Record<CloudAvatarProvider, Provider> = {
  bey: {
    identity: 'bey-avatar-agent',
    reportsPlaybackStart: false,
    create: ({ apiKey, apiUrl, avatarId }, identity) =>
      new bey.AvatarSession({ apiKey, apiUrl, avatarId, avatarParticipantIdentity: identity }),
  },
  anam: {
    identity: 'anam-avatar-agent',
    reportsPlaybackStart: false,
    create: ({ apiKey, apiUrl, avatarId }, identity) => {
      if (!avatarId) throw new ConfigError('AVATAR=anam needs AVATAR_ID: the id of an Anam avatar');
      return new anam.AvatarSession({
        personaConfig: { name: 'avatar', avatarId },
        apiKey,
        apiUrl,
        avatarParticipantIdentity: identity,
      });
    },
  },
  lemonslice: {
    identity: 'lemonslice-avatar-agent',
    sampleRate: LEMONSLICE_SAMPLE_RATE,
    reportsPlaybackStart: true,
    create: ({ apiKey, apiUrl, avatarId }, identity) => {
      if (!avatarId) throw new ConfigError('AVATAR=lemonslice needs AVATAR_ID: the id of a LemonSlice agent');
      return new lemonslice.AvatarSession({ apiKey, apiUrl, agentId: avatarId, avatarParticipantIdentity: identity });
    },
  },
  hedra: {
    identity: 'hedra-avatar-agent',
    reportsPlaybackStart: false,
    // Its plugin only raises the vendor's notice that the service is gone; surfaced as a config error.
    create: () => new hedra.AvatarSession() as unknown as ProviderSession,
  },
};

/**
 * The provider's session, built as the worker starts so a missing id or a retired service stops it
 * there with the provider's own words, not in every room.
 */
export function createCloudAvatar(config: CloudAvatarConfig): ProviderSession {
  const provider = PROVIDERS[config.provider];
  try {
    return provider.create(config, provider.identity);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`AVATAR=${config.provider}: ${errorText(err)}`);
  }
}

export async function startCloudAvatar(
  config: CloudAvatarConfig,
  livekit: LiveKitConfig,
  joinTimeoutMs: number,
  session: voice.AgentSession,
  room: Room,
  logger: ReturnType<typeof log>,
): Promise<DataStreamAudioOutput> {
  const provider = PROVIDERS[config.provider];
  try {
    await createCloudAvatar(config).start(session, room, {
      livekitUrl: livekit.url,
      livekitApiKey: livekit.apiKey,
      livekitApiSecret: livekit.apiSecret,
    });
  } catch (err) {
    const reason = errorText(err);
    throw new CloudAvatarError(`AVATAR=${config.provider}: could not start the avatar: ${reason}`);
  }
  logger.info({ provider: config.provider }, 'cloud avatar started');
  // The plugin registers its own output's RPC handlers a few microtasks after start() returns: ours
  // replace them, so they must come after.
  await new Promise((resolve) => setImmediate(resolve));
  const output = new DataStreamAudioOutput({
    room,
    avatarIdentity: provider.identity,
    joinTimeoutMs,
    sampleRate: provider.sampleRate,
    waitPlaybackStart: provider.reportsPlaybackStart,
    logger,
  });
  session.output.audio = output;
  return output;
}
