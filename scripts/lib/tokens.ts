// Join tokens for local use (the start script's link, the tests); the web app mints its own.
import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';
import type { LiveKitConfig } from '../../src/config.ts';

export interface JoinOptions {
  room: string;
  identity: string;
  /** Agent to dispatch when this token's holder creates the room; none when absent. */
  dispatch?: { agentName: string; metadata?: string };
  ttl?: string;
  /** Hidden participants see the room without counting as a person in it (observers in tests). */
  hidden?: boolean;
}

export function joinToken(livekit: LiveKitConfig, opts: JoinOptions): Promise<string> {
  const at = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: opts.identity, ttl: opts.ttl ?? '1h' });
  at.addGrant({
    roomJoin: true,
    room: opts.room,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    hidden: opts.hidden,
  });
  // syncStreams: browsers lip-sync the avatar's audio and video only when the room asks for it (the
  // local server turns it on for every room; LiveKit Cloud and other servers need it here).
  at.roomConfig = new RoomConfiguration({
    syncStreams: true,
    ...(opts.dispatch && { agents: [new RoomAgentDispatch(opts.dispatch)] }),
  });
  return at.toJwt();
}
