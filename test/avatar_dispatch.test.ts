import { describe, expect, test } from 'vitest';
import { avatarDispatchMetadata, avatarIdentityFor, parseAvatarDispatch } from '../src/avatar/remote/dispatch.ts';

describe('avatar dispatch metadata', () => {
  test('what an agent sends is what the avatar worker reads back', () => {
    expect(parseAvatarDispatch(avatarDispatchMetadata('agent-AJ_1'))).toEqual({
      agentIdentity: 'agent-AJ_1',
      avatarIdentity: avatarIdentityFor('agent-AJ_1'),
    });
  });

  test('empty metadata means: serve the first agent in the room', () => {
    expect(parseAvatarDispatch(undefined)).toBeUndefined();
    expect(parseAvatarDispatch('  ')).toBeUndefined();
  });

  test.each([
    ['not JSON', '{agent', /not JSON/],
    ['an array', '[]', /metadata/],
    ['a missing avatar identity', '{"agent_identity":"a"}', /avatar_identity/],
    ['an unknown field', '{"agent_identity":"a","avatar_identity":"b","x":1}', /metadata/],
    ['an empty identity', '{"agent_identity":"","avatar_identity":"b"}', /agent_identity/],
    ['an overlong identity', `{"agent_identity":"${'a'.repeat(200)}","avatar_identity":"b"}`, /agent_identity/],
    ['the avatar as its own agent', '{"agent_identity":"a","avatar_identity":"a"}', /must differ/],
  ])('%s is refused with a one-line reason', (_, metadata, reason) => {
    const result = parseAvatarDispatch(metadata);
    expect(typeof result).toBe('string');
    expect(result).toMatch(reason);
    expect(result).not.toContain('\n');
  });
});
