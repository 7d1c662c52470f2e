// `npm run bench -- renderer`: what the built-in character costs to draw, and how well its mouth
// shapes match the phonemes a TTS engine actually spoke. Ground truth: Flite's own phone timings
// (`-psdur`) for the sentences in bench/data/sentences.txt, in four voices, mapped to the nine shapes by
// src/avatar/lipsync/phonemes.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AudioFrame } from '@livekit/rtc-node';
import { DEFAULT_CHARACTER_DIR } from '../src/avatar/character/manifest.ts';
import { loadCharacterPack } from '../src/avatar/character/pack.ts';
import { buildSprites } from '../src/avatar/character/sprites.ts';
import { FrameChunker } from '../src/avatar/frame_chunker.ts';
import { LipSync } from '../src/avatar/lipsync/lip_sync.ts';
import { visemeForPhoneme } from '../src/avatar/lipsync/phonemes.ts';
import { isClosed, type Viseme } from '../src/avatar/lipsync/visemes.ts';
import type { Renderer } from '../src/avatar/renderer.ts';
import { CharacterRenderer } from '../src/avatar/renderers/character.ts';
import { MouthBlockRenderer } from '../src/avatar/renderers/mouth_block.ts';
import { OFFLINE_VOICES } from '../src/offline/flite.ts';
import { type Phone, synthesizeWithPhones } from '../test/helpers/speech.ts';
import type { Metrics } from './report.ts';

export const needsServer = false;

const RATE = 24_000;
const FPS = 30;
const SAMPLES_PER_FRAME = RATE / FPS;
/** Flite's voices that carry the full band (kal is 8 kHz telephone quality). */
const VOICES = OFFLINE_VOICES;
/** Frames rendered per cost measurement, after a warm-up. */
const TIMED_FRAMES = 3000;
const WARMUP_FRAMES = 300;
/**
 * A frame agrees when its shape is the truth at that frame or at a neighbouring one: phone
 * boundaries are the synthesizer's own estimates, and shapes are held ~2 frames by design.
 */
const TOLERANCE_FRAMES = 1;
/**
 * Frames wholly inside a pause are judged, except the first (the one frame allowed to reach rest)
 * and the last before speech resumes (where the mouth may already shape the coming sound).
 */
const SILENCE_MARGIN_FRAMES = 1;

interface Utterance {
  voice: string;
  frames: Int16Array[];
  truth: Viseme[];
  /** Frames whose whole span lies in a pause. */
  silent: boolean[];
}

/** The shape Flite's phones give each frame: the phone sounding at the frame's middle. */
function truthFor(phones: Phone[], count: number): Viseme[] {
  return Array.from({ length: count }, (_, i) => {
    const t = (i + 0.5) / FPS;
    const k = phones.findIndex((p) => p.end > t);
    return k < 0 ? 'X' : visemeForPhoneme((phones[k] as Phone).phone, phones[k + 1]?.phone);
  });
}

function silentFrames(phones: Phone[], count: number): boolean[] {
  return Array.from({ length: count }, (_, i) => {
    const from = i / FPS;
    const to = (i + 1) / FPS;
    let start = 0;
    for (const p of phones) {
      if (p.phone === 'pau' && start <= from && p.end >= to) return true;
      start = p.end;
    }
    // After the last phone there is only the padding of the final frame.
    return from >= start;
  });
}

async function corpus(): Promise<Utterance[]> {
  const sentences = readFileSync(join(import.meta.dirname, 'data', 'sentences.txt'), 'utf8')
    .trim()
    .split('\n');
  const out: Utterance[] = [];
  for (const voice of VOICES) {
    for (const text of sentences) {
      const speech = await synthesizeWithPhones(text, voice);
      // The runner's own path: resampled to 24 kHz and cut into frames.
      const chunker = new FrameChunker(RATE, SAMPLES_PER_FRAME);
      const frames = [
        ...chunker.push(new AudioFrame(speech.pcm, speech.sampleRate, 1, speech.pcm.length)),
        ...chunker.flush().chunks,
      ];
      out.push({
        voice,
        frames,
        truth: truthFor(speech.phones, frames.length),
        silent: silentFrames(speech.phones, frames.length),
      });
    }
  }
  return out;
}

function score(utterances: Utterance[]) {
  let frames = 0;
  let strict = 0;
  let tolerant = 0;
  let openClosed = 0;
  let silent = 0;
  let resting = 0;
  const perVoice = new Map<string, { frames: number; agree: number }>();
  for (const { voice, frames: audio, truth, silent: pause } of utterances) {
    const lipSync = new LipSync(RATE);
    const shapes = audio.map((chunk, i) => lipSync.next(chunk, audio[i + 1]));
    const v = perVoice.get(voice) ?? { frames: 0, agree: 0 };
    for (let i = 0; i < shapes.length; i++) {
      const shape = shapes[i] as Viseme;
      const near = truth.slice(Math.max(0, i - TOLERANCE_FRAMES), i + TOLERANCE_FRAMES + 1);
      frames++;
      v.frames++;
      if (shape === truth[i]) strict++;
      if (near.includes(shape)) {
        tolerant++;
        v.agree++;
      }
      if (near.some((t) => isClosed(t) === isClosed(shape))) openClosed++;
      const around = pause.slice(Math.max(0, i - SILENCE_MARGIN_FRAMES), i + SILENCE_MARGIN_FRAMES + 1);
      if (around.length === 2 * SILENCE_MARGIN_FRAMES + 1 && around.every(Boolean)) {
        silent++;
        if (shape === 'X') resting++;
      }
    }
    perVoice.set(voice, v);
  }
  const pct = (n: number, d: number) => Math.round((1000 * n) / d) / 10;
  return {
    strict: pct(strict, frames),
    tolerant: pct(tolerant, frames),
    openClosed: pct(openClosed, frames),
    rest: pct(resting, silent),
    frames,
    perVoice: [...perVoice].map(([voice, { frames: n, agree }]) => `${voice} ${pct(agree, n)} %`).join(', '),
  };
}

/** Median milliseconds of `step(i)` over speech frames, after a warm-up. */
function medianMs(step: (i: number) => void): number {
  const times: number[] = [];
  for (let i = 0; i < WARMUP_FRAMES + TIMED_FRAMES; i++) {
    const t0 = performance.now();
    step(i);
    if (i >= WARMUP_FRAMES) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.round((times[times.length >> 1] as number) * 1000) / 1000;
}

/** Cost of drawing speech frames (idle frames are cheaper: no analysis). */
const renderCost = (renderer: Renderer, speech: Int16Array[]) =>
  medianMs((i) =>
    renderer.render({ audio: speech[i % speech.length], next: speech[(i + 1) % speech.length], index: i }),
  );

export async function run(): Promise<Metrics> {
  console.log(`» synthesizing the corpus (${VOICES.join(', ')})`);
  const utterances = await corpus();
  const speech = utterances.flatMap((u) => u.frames);
  console.log('» scoring mouth shapes against phone timings');
  const s = score(utterances);
  console.log(`  ${s.frames} frames; agreement per voice: ${s.perVoice}`);

  console.log('» render cost');
  const pack = await loadCharacterPack(DEFAULT_CHARACTER_DIR);
  const at512 = new CharacterRenderer(await buildSprites(pack, 512, 512), RATE, FPS);
  const at720 = new CharacterRenderer(await buildSprites(pack, 1280, 720), RATE, FPS);
  const render512 = renderCost(at512, speech);
  const render720 = renderCost(at720, speech);
  const baseline = renderCost(new MouthBlockRenderer(512, 512), speech);
  const lipSync = new LipSync(RATE);
  const analysis = medianMs((i) => lipSync.next(speech[i % speech.length], speech[(i + 1) % speech.length]));

  return {
    render_512_ms: { value: render512, unit: 'ms per frame (median, one core)', goal: '<= 0.5' },
    render_720p_ms: { value: render720, unit: 'ms per frame (median, one core)', goal: '<= 1.5' },
    mouth_block_512_ms: { value: baseline, unit: 'ms per frame (baseline: test renderer)', goal: 'report' },
    render_512_vs_baseline: { value: Math.round((render512 / baseline) * 10) / 10, unit: 'ratio', goal: 'report' },
    lipsync_ms: { value: analysis, unit: 'ms per frame (analysis only)', goal: 'report' },
    viseme_agreement_pct: { value: s.tolerant, unit: '% of frames (±1 frame)', goal: '>= 70' },
    viseme_agreement_strict_pct: { value: s.strict, unit: '% of frames (exact frame)', goal: 'report' },
    open_closed_agreement_pct: { value: s.openClosed, unit: '% of frames (±1 frame)', goal: '>= 90' },
    rest_on_silence_pct: { value: s.rest, unit: '% of pause frames at rest', goal: '100' },
  };
}
