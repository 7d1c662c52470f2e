// Debian's Chromium, driven by playwright-core: installed with apt on first use (never a test tool's
// own browser download) and launched with the flags that work headless on a machine with no GPU.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export class ChromiumSetupError extends Error {
  override name = 'ChromiumSetupError';
}

export function ensureChromium(say: (line: string) => void = () => {}): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  say('installing the Debian package (apt-get install chromium)');
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (
    apt(['update', '-qq']).status !== 0 ||
    apt(['install', '-y', '-qq', 'chromium']).status !== 0 ||
    !existsSync(CHROMIUM)
  ) {
    throw new ChromiumSetupError(
      `chromium is needed at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  return CHROMIUM;
}

export interface LaunchOptions {
  /** A WAV file the fake microphone plays (once: Chromium's `%noloop`); a beep when absent. */
  microphoneWav?: string;
}

/** A browser with a fresh profile (playwright's temporary one, removed on close); one context per visitor. */
export async function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  ensureChromium();
  const media = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];
  if (opts.microphoneWav) media.push(`--use-file-for-fake-audio-capture=${opts.microphoneWav}%noloop`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...media] });
}
