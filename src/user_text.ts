// Text people type for the agent (chat, "Say this"): control and invisible characters go (they can
// hide or reorder what the avatar says, or trip the TTS), line breaks become spaces.

// Letters, marks, numbers, punctuation, symbols and spaces stay; \p{C} (control, format, private use,
// unassigned) does not. Emoji stay as symbols; the TTS drops what it cannot say.
const INVISIBLE = /\p{C}/gu;
const RUNS_OF_SPACE = /\s+/g;

export type CheckedText = { ok: true; text: string } | { ok: false; reason: string };

export function cleanUserText(raw: string, maxChars: number): CheckedText {
  const text = raw.replace(RUNS_OF_SPACE, ' ').replace(INVISIBLE, '').trim();
  if (!text) return { ok: false, reason: 'the text is empty' };
  const chars = [...text].length;
  if (chars > maxChars) return { ok: false, reason: `the text is ${chars} characters; the limit is ${maxChars}` };
  return { ok: true, text };
}
