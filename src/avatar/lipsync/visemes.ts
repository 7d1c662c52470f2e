// The mouth shapes a character draws: the nine of Rhubarb Lip Sync (Preston Blair's set plus three
// extended shapes), the de-facto vocabulary of 2D lip-sync art.

export const VISEMES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'X'] as const;
export type Viseme = (typeof VISEMES)[number];

export const VISEME_DESCRIPTIONS: Record<Viseme, string> = {
  A: 'closed lips (M, B, P)',
  B: 'slightly open, teeth together (most consonants, EE)',
  C: 'open (EH, AE, AH)',
  D: 'wide open (AA)',
  E: 'slightly rounded (AO, ER)',
  F: 'puckered (UW, OW, W)',
  G: 'upper teeth on lower lip (F, V)',
  H: 'tongue raised (L)',
  X: 'rest (silence)',
};

/** How far the jaw is open in each shape: decides in-betweens and the open/closed split. */
export const JAW_OPENING: Record<Viseme, number> = {
  X: 0,
  A: 0,
  G: 0.1,
  B: 0.2,
  F: 0.3,
  H: 0.45,
  E: 0.5,
  C: 0.6,
  D: 1,
};

/** Shapes with the jaw closed or the teeth together: what "mouth closed" means to a viewer. */
export const isClosed = (v: Viseme): boolean => JAW_OPENING[v] < 0.25;
