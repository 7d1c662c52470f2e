// Per-room choices carried in the dispatch metadata (JSON), e.g. from the token API's RoomConfiguration.
// A room with bad metadata still gets an agent: bad fields fall back to the worker's defaults and are logged.
import { z } from 'zod';

export const MAX_METADATA_BYTES = 16 * 1024;

const schema = z
  .object({
    instructions: z.string().trim().min(1).max(8000),
    greeting: z.string().max(1000),
    voice: z.string().regex(/^[\w-]{1,64}$/, 'must be a voice name such as alloy'),
  })
  .partial();

export type DispatchChoices = z.infer<typeof schema>;

export interface ParsedMetadata {
  choices: DispatchChoices;
  /** One line per problem, naming the field; empty when the metadata was fine. */
  problems: string[];
}

export function parseDispatchMetadata(raw: string | undefined): ParsedMetadata {
  if (!raw?.trim()) return { choices: {}, problems: [] };
  if (raw.length > MAX_METADATA_BYTES) {
    return { choices: {}, problems: [`dispatch metadata is over ${MAX_METADATA_BYTES} bytes; using defaults`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { choices: {}, problems: ['dispatch metadata is not JSON; using defaults'] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { choices: {}, problems: ['dispatch metadata must be a JSON object; using defaults'] };
  }

  const fields = json as Record<string, unknown>;
  const known = schema.keyof().options as string[];
  const problems = Object.keys(fields)
    .filter((key) => !known.includes(key))
    .map((key) => `dispatch metadata field "${key}" is unknown; ignored`);

  const parsed = schema.safeParse(fields);
  if (parsed.success) return { choices: parsed.data, problems };

  const bad = new Set<string>();
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0]);
    if (bad.has(key)) continue;
    bad.add(key);
    problems.push(`dispatch metadata field "${key}" ${issue.message}; using the default`);
  }
  const good = Object.fromEntries(Object.entries(fields).filter(([key]) => !bad.has(key)));
  return { choices: schema.parse(good), problems };
}
