// The configuration docs stay true: every variable the code reads is in .env.example and the README.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CONFIG_VARIABLES } from '../src/config.ts';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

test.each(['.env.example', 'README.md'])('%s documents every configuration variable', (file) => {
  const text = read(file);
  const missing = [...CONFIG_VARIABLES, 'LIVEKIT_SERVER_BIN'].filter((v) => !text.includes(v));
  expect(missing).toEqual([]);
});
