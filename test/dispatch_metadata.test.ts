import { describe, expect, test } from 'vitest';
import { MAX_METADATA_BYTES, parseDispatchMetadata } from '../src/dispatch_metadata.ts';

describe('dispatch metadata', () => {
  test('absent or blank metadata means defaults, silently', () => {
    expect(parseDispatchMetadata(undefined)).toEqual({ choices: {}, problems: [] });
    expect(parseDispatchMetadata('  ')).toEqual({ choices: {}, problems: [] });
  });

  test('valid choices are taken', () => {
    const raw = JSON.stringify({ instructions: 'Be a tutor.', greeting: '', voice: 'nova' });
    expect(parseDispatchMetadata(raw)).toEqual({
      choices: { instructions: 'Be a tutor.', greeting: '', voice: 'nova' },
      problems: [],
    });
  });

  test('a bad field falls back alone, and the problem names it', () => {
    const { choices, problems } = parseDispatchMetadata(JSON.stringify({ voice: '../etc', greeting: 'Hi' }));
    expect(choices).toEqual({ greeting: 'Hi' });
    expect(problems).toEqual(['dispatch metadata field "voice" must be a voice name such as alloy; using the default']);
  });

  test('unknown fields are ignored and reported', () => {
    const { choices, problems } = parseDispatchMetadata(JSON.stringify({ colour: 'red', voice: 'echo' }));
    expect(choices).toEqual({ voice: 'echo' });
    expect(problems).toEqual(['dispatch metadata field "colour" is unknown; ignored']);
  });

  test.each([
    ['not json', 'dispatch metadata is not JSON; using defaults'],
    ['[1,2]', 'dispatch metadata must be a JSON object; using defaults'],
    ['null', 'dispatch metadata must be a JSON object; using defaults'],
    [
      `{"greeting":"${'a'.repeat(MAX_METADATA_BYTES)}"}`,
      `dispatch metadata is over ${MAX_METADATA_BYTES} bytes; using defaults`,
    ],
  ])('%s → defaults with one problem', (raw, problem) => {
    expect(parseDispatchMetadata(raw)).toEqual({ choices: {}, problems: [problem] });
  });

  test('wrong types and sizes name their field', () => {
    const { problems } = parseDispatchMetadata(JSON.stringify({ instructions: 42, greeting: 'x'.repeat(2000) }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^dispatch metadata field "instructions" /);
    expect(problems[1]).toMatch(/^dispatch metadata field "greeting" /);
  });
});
