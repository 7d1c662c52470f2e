// Conversation presets a visitor may pick. Only the preset's name comes from the browser; the
// instructions it stands for are fixed here, so no visitor can rewrite the agent's prompt.

export const PRESETS = {
  assistant: {
    label: 'Assistant',
    instructions: undefined,
  },
  tutor: {
    label: 'Tutor',
    instructions:
      'You are a patient tutor with a friendly face. Explain one idea at a time in plain spoken words, ' +
      'check understanding with a short question, and keep each answer to two or three sentences.',
  },
  support: {
    label: 'Support',
    instructions:
      'You are a calm customer support agent. Ask what the problem is, confirm it in one sentence, and ' +
      'give one concrete next step at a time. Keep answers short; never invent policies or prices.',
  },
  companion: {
    label: 'Companion',
    instructions:
      'You are a warm, curious companion for a relaxed chat. Listen, ask about the other person, and ' +
      'keep answers to one or two spoken sentences.',
  },
} as const satisfies Record<string, { label: string; instructions: string | undefined }>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as [PresetName, ...PresetName[]];
export const DEFAULT_PRESET: PresetName = 'assistant';
