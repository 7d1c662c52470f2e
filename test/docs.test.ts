// The configuration docs stay true: every variable the worker and the web app read is in .env.example and the README.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { WEB_CONFIG_VARIABLES } from '../frontend/lib/server_env.ts';
import { CONFIG_VARIABLES } from '../src/config.ts';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

test.each(['.env.example', 'README.md'])('%s documents every configuration variable', (file) => {
  const text = read(file);
  const missing = [...CONFIG_VARIABLES, ...WEB_CONFIG_VARIABLES, 'LIVEKIT_SERVER_BIN'].filter((v) => !text.includes(v));
  expect(missing).toEqual([]);
});
