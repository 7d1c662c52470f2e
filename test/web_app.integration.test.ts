// The web app end to end, as a person uses it: Debian's Chromium opens the production build (`next
// start`), joins through the token API, asks a question into a fake microphone (a WAV file), and the
// real worker (offline models) answers through the avatar. Screenshots go to test-artifacts/.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dispose, type Room, RpcError } from '@livekit/rtc-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { launchChromium } from '../scripts/lib/chromium.ts';
import { freePort } from '../scripts/lib/livekit_server.ts';
import { ensureWebAppBuilt, type RunningWebApp, startWebApp } from '../scripts/lib/web_app.ts';
import { SAY_MAX_CHARS, SAY_RATE, SAY_RPC_METHOD } from '../src/say_rpc.ts';
import { isAgent, joinRoom, waitForAgent } from './helpers/participant.ts';
import { resample, synthesize, wavFile } from './helpers/speech.ts';
import { type RunningWorker, startWorker } from './helpers/worker.ts';

const livekit = inject('livekit');
const ARTIFACTS = resolve(import.meta.dirname, '../test-artifacts');
const AVATAR_SIZE = 512;
const QUESTION = 'What is the capital of France?';
/** Chromium's fake microphone starts playing at capture start; the agent must be in the room by then. */
const LEAD_IN_SECONDS = 6;
const MIC_RATE = 48_000;
const TYPED = 'Please tell me a short joke.';
const SAY = 'Sphinx of black quartz, judge my vow.';
const TURN_TIMEOUT_MS = 60_000;
/** Frames a playing 30 fps video shows in well under two seconds. */
const ADVANCING_FRAMES = 20;

let worker: RunningWorker;
let app: RunningWebApp;
let browser: Browser;
let page: Page;
let roomName: string;

interface Message {
  from: string;
  text: string;
}

const transcript = (p: Page): Promise<Message[]> =>
  p
    .getByTestId('transcript-message')
    .evaluateAll((els) => els.map((e) => ({ from: (e as HTMLElement).dataset.from ?? '', text: e.textContent ?? '' })));

const agentMessages = async (p: Page) => (await transcript(p)).filter((m) => m.from === 'agent');

/**
 * Resolves once the transcript has a user message matching `said` followed by an agent reply that was
 * not there before (`agentBefore` agent messages were).
 */
async function answered(p: Page, said: RegExp, agentBefore = 0): Promise<{ question: Message; reply: Message }> {
  let found: { question: Message; reply: Message } | undefined;
  await expect
    .poll(
      async () => {
        const messages = await transcript(p);
        const at = messages.findLastIndex((m) => m.from === 'user' && said.test(m.text));
        const fresh = messages.filter((m) => m.from === 'agent').slice(agentBefore);
        const reply = messages.slice(at + 1).find((m) => fresh.includes(m) && m.text.trim().length > 0);
        const question = messages[at];
        found = at >= 0 && reply && question ? { question, reply } : undefined;
        return found !== undefined;
      },
      { timeout: TURN_TIMEOUT_MS, interval: 250 },
    )
    .toBe(true);
  return found as { question: Message; reply: Message };
}

/** The agent has finished its reply and waits for the visitor. */
async function listening(p: Page): Promise<void> {
  await expect
    .poll(() => p.getByTestId('agent-state').getAttribute('data-state'), { timeout: TURN_TIMEOUT_MS })
    .toBe('listening');
}

async function expectAvatarPlaying(p: Page): Promise<void> {
  const video = p.getByTestId('avatar-tile').locator('video');
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight]), { timeout: 30_000 })
    .toEqual([AVATAR_SIZE, AVATAR_SIZE]);
  const frames = () => video.evaluate((v: HTMLVideoElement) => v.getVideoPlaybackQuality().totalVideoFrames);
  const before = await frames();
  await expect.poll(frames, { timeout: 10_000 }).toBeGreaterThan(before + ADVANCING_FRAMES);
}

async function enterRoom(p: Page, url: string, name: string): Promise<void> {
  await p.goto(url);
  await p.getByTestId('join-name').fill(name);
  await p.getByTestId('join-button').click();
  await p.getByTestId('session-view').waitFor({ timeout: 30_000 });
}

beforeAll(async () => {
  ensureWebAppBuilt();
  worker = await startWorker(livekit, {
    MODEL_PROVIDER: 'offline',
    OPENAI_API_KEY: '',
    TURN_DETECTION: 'vad',
    // The conversation starts with the visitor's question, not over a greeting.
    AGENT_GREETING: '',
  });
  app = await startWebApp({
    port: await freePort(),
    env: {
      LIVEKIT_URL: livekit.url,
      LIVEKIT_API_KEY: livekit.apiKey,
      LIVEKIT_API_SECRET: livekit.apiSecret,
      AGENT_NAME: worker.agentName,
    },
  });
  await mkdir(ARTIFACTS, { recursive: true });
  const question = await synthesize(QUESTION, 'awb');
  const wav = join(ARTIFACTS, 'question.wav');
  const pcm = resample(question, MIC_RATE);
  const lead = new Int16Array(LEAD_IN_SECONDS * MIC_RATE);
  await writeFile(wav, wavFile(Int16Array.from([...lead, ...pcm, ...lead]), MIC_RATE));
  browser = await launchChromium({ microphoneWav: wav });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => console.error(`web app page: ${err.message}`));
  await worker.processesReady(1);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await worker?.stop();
  await dispose();
});

describe('web app', () => {
  test('a visitor joins and sees the avatar move', async () => {
    await enterRoom(page, app.url, 'Ada');
    await expectAvatarPlaying(page);
    const invite = await page
      .getByTestId('invite-link')
      .evaluate((e) => (e instanceof HTMLInputElement ? e.value : (e.getAttribute('href') ?? '')));
    roomName = new URL(invite, app.url).searchParams.get('room') ?? '';
    expect(roomName).toMatch(/^avatar-/);
  }, 60_000);

  test(
    'the spoken question is transcribed and answered',
    async () => {
      await answered(page, /capital.*france/i);
      await listening(page);
    },
    TURN_TIMEOUT_MS + 10_000,
  );

  test(
    'a typed chat message gets an answer',
    async () => {
      const before = (await agentMessages(page)).length;
      await page.getByTestId('chat-input').fill(TYPED);
      await page.getByTestId('chat-send').click();
      await answered(page, /short joke/, before);
      await listening(page);
    },
    TURN_TIMEOUT_MS + 10_000,
  );

  test(
    '"Say this" makes the avatar speak the exact text',
    async () => {
      await page.getByTestId('say-input').fill(SAY);
      await page.getByTestId('say-send').click();
      const agentLines = async () => (await agentMessages(page)).map((m) => m.text.trim());
      await expect.poll(agentLines, { timeout: TURN_TIMEOUT_MS }).toContain(SAY);
      await page.screenshot({ path: join(ARTIFACTS, 'web-app-session.png') });
    },
    TURN_TIMEOUT_MS + 10_000,
  );

  test('the stats overlay shows what the browser receives', async () => {
    await page.getByTestId('stats-toggle').click();
    const stat = (name: string) => page.locator(`[data-testid=stats-overlay] [data-stat=${name}]`).textContent();
    const number = async (name: string) => Number.parseFloat((await stat(name)) ?? '');
    // Rates need two samples a second apart.
    await expect.poll(() => number('fps'), { timeout: 10_000 }).toBeGreaterThan(10);
    await expect.poll(() => number('bitrate'), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => number('rtt'), { timeout: 10_000 }).toBeGreaterThanOrEqual(0);
    expect(await stat('resolution')).toContain(String(AVATAR_SIZE));
    await page.screenshot({ path: join(ARTIFACTS, 'web-app-stats.png') });
  }, 30_000);

  test('a second visitor joins the same room from the invite link, on a phone-sized screen', async () => {
    const second = await launchChromium();
    try {
      const phone = await second.newPage({ viewport: { width: 390, height: 844 } });
      await phone.goto(`${app.url}/?room=${roomName}`);
      await expect(phone.getByTestId('join-room-name').textContent()).resolves.toContain(roomName);
      await enterRoom(phone, `${app.url}/?room=${roomName}`, 'Grace');
      await expectAvatarPlaying(phone);
      await phone.screenshot({ path: join(ARTIFACTS, 'web-app-phone.png') });
    } finally {
      await second.close();
    }
  }, 90_000);

  test('the agent refuses bad "Say this" requests with a reason', async () => {
    const room: Room = await joinRoom(livekit, { room: roomName });
    try {
      const agent = await waitForAgent(room);
      // One agent for everyone: the invite joined the running conversation instead of dispatching another.
      expect([...room.remoteParticipants.values()].filter(isAgent)).toHaveLength(1);
      const me = room.localParticipant;
      if (!me) throw new Error('not connected');
      const refusal = (payload: string): Promise<string> =>
        me.performRpc({ destinationIdentity: agent.identity, method: SAY_RPC_METHOD, payload }).then(
          () => 'accepted',
          (err: unknown) => (err instanceof RpcError ? err.message : String(err)),
        );
      expect(await refusal('  \u0000\u0007\n ')).toBe('the text is empty');
      expect(await refusal('x'.repeat(SAY_MAX_CHARS + 1))).toMatch(`limit is ${SAY_MAX_CHARS}`);
      // The two refusals above count towards the caller's rate too.
      const burst = await Promise.all(Array.from({ length: SAY_RATE.requests + 1 }, () => refusal('Hi.')));
      expect(burst.filter((r) => r === 'accepted')).toHaveLength(SAY_RATE.requests - 2);
      expect(burst.filter((r) => /^too many requests/.test(r))).toHaveLength(3);
    } finally {
      await room.disconnect();
    }
  }, 30_000);

  test('the token API refuses bad input under `next start`', async () => {
    const post = (body: string) =>
      fetch(`${app.url}/api/token`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const bad = await post('{"room_name":"../etc"}');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: expect.stringMatching(/^room_name: /) });
    expect((await fetch(`${app.url}/api/token`)).status).toBe(405);
  });

  test('leaving returns to the join screen', async () => {
    await page.getByTestId('leave-button').click();
    await page.getByTestId('join-form').waitFor({ timeout: 10_000 });
  });
});
