// What a caught error says, for a one-line log or refusal: its message, or the thrown value itself.
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
