// How an agent asks for an avatar worker: an explicit dispatch whose metadata names the agent to
// serve and the identity the avatar joins under. The agent streams to that identity at once; the
// avatar joins already carrying lk.publish_on_behalf, so frontends pair it with the agent from the
// first moment and RoomIO never mistakes it for a user. Empty metadata also works: the avatar then
// serves the first agent in the room, as LiveKit's Python receiver does.
import { z } from 'zod';

const identity = z.string().min(1).max(128);

const schema = z.strictObject({ agent_identity: identity, avatar_identity: identity });

export interface AvatarDispatch {
  agentIdentity: string;
  avatarIdentity: string;
}

/** The avatar identity an agent gives the avatar it dispatches. */
export const avatarIdentityFor = (agentIdentity: string): string => `${agentIdentity}-avatar`;

export function avatarDispatchMetadata(agentIdentity: string): string {
  return JSON.stringify({ agent_identity: agentIdentity, avatar_identity: avatarIdentityFor(agentIdentity) });
}

/** The dispatch's request; undefined for empty metadata; a string is why it cannot be served. */
export function parseAvatarDispatch(metadata: string | undefined): AvatarDispatch | undefined | string {
  if (!metadata?.trim()) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(metadata);
  } catch {
    return 'avatar dispatch metadata is not JSON';
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `avatar dispatch metadata ${issue?.path.join('.') || 'object'}: ${issue?.message ?? 'is invalid'}`;
  }
  if (parsed.data.agent_identity === parsed.data.avatar_identity) {
    return 'avatar dispatch metadata avatar_identity must differ from agent_identity';
  }
  return { agentIdentity: parsed.data.agent_identity, avatarIdentity: parsed.data.avatar_identity };
}
