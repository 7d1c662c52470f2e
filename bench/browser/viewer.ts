// A real viewer: Debian's Chromium, driven by playwright-core, joined to the room through the probe page
// (livekit-client bundled with esbuild and served on loopback).
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import type { AudioSample, VideoSample } from '../../test/helpers/av_recorder.ts';
import type { ProbeStats, Watch } from './probe.ts';

export interface Viewer {
  /** Joins and records the tracks of `watch` (default: any publisher). */
  join(url: string, token: string, watch?: Watch): Promise<void>;
  chat(text: string): Promise<void>;
  /** Samples since the last read, on the browser's clock mapped to epoch ms. */
  read(): Promise<{ audio: AudioSample[]; video: VideoSample[] }>;
  /** How Chromium played the streams (lip-sync group and delays). */
  stats(): Promise<ProbeStats>;
  close(): Promise<void>;
}

export async function openViewer(): Promise<Viewer> {
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, 'probe.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'chrome120',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const server = createServer((req, res) => {
    if (req.url === '/probe.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(script);
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><meta charset="utf-8"><title>avatar probe</title><script src="/probe.js"></script>');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };

  const browser = await launchChromium();
  const page: Page = await browser.newPage();
  page.on('pageerror', (err) => console.error(`probe page: ${err.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);

  return {
    join: (url, token, watch = 'any') =>
      page.evaluate(
        ([u, t, w]) =>
          (window as never as { joinProbe: (u: string, t: string, w: Watch) => Promise<void> }).joinProbe(
            u as string,
            t as string,
            w as Watch,
          ),
        [url, token, watch],
      ),
    chat: (text) =>
      page.evaluate((t) => (window as never as { sendChat: (t: string) => Promise<void> }).sendChat(t), text),
    read: async () => {
      const raw = await page.evaluate(() =>
        (
          window as never as {
            readProbe: () => { audio: { at: number; value: number }[]; video: { at: number; value: number }[] };
          }
        ).readProbe(),
      );
      return {
        audio: raw.audio.map((s) => ({ at: s.at, rms: s.value })),
        video: raw.video.map((s) => ({ at: s.at, openness: s.value, width: 0, height: 0 })),
      };
    },
    stats: () => page.evaluate(() => (window as never as { probeStats: () => Promise<ProbeStats> }).probeStats()),
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}
