// Text people type for the agent (chat, "Say this"): control and invisible characters go (they can
// hide or reorder what the avatar says, or trip the TTS), line breaks become spaces.

// Letters, marks, numbers, punctuation, symbols and spaces stay; \p{C} (control, format, lone
// surrogates, private use, unassigned) does not, nor U+FFFD, which stands for bytes that were not
// text (a lone surrogate sent from JavaScript arrives as one). Emoji stay as symbols; the TTS drops
// what it cannot say.
const INVISIBLE = /[\p{C}\uFFFD]/gu;
const RUNS_OF_SPACE = /\s+/g;

export type CheckedText = { ok: true; text: string } | { ok: false; reason: string };

export function cleanUserText(raw: string, maxChars: number): CheckedText {
  // Spaces first (a line break is a space, not nothing), then once more where an invisible one sat between two.
  const text = raw.replace(RUNS_OF_SPACE, ' ').replace(INVISIBLE, '').replace(RUNS_OF_SPACE, ' ').trim();
  if (!text) return { ok: false, reason: 'the text is empty' };
  const chars = [...text].length;
  if (chars > maxChars) return { ok: false, reason: `the text is ${chars} characters; the limit is ${maxChars}` };
  return { ok: true, text };
}
