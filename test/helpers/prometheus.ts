// Reads a Prometheus text exposition: each sample by its name with labels, as the server printed it.

export type Samples = Map<string, number>;

export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const split = line.lastIndexOf(' ');
    samples.set(line.slice(0, split), Number(line.slice(split + 1)));
  }
  return samples;
}

export async function scrape(url: string): Promise<Samples> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return parseSamples(await res.text());
}

/** The value of one sample; 0 when absent (a counter nobody has incremented yet). */
export const sample = (samples: Samples, key: string): number => samples.get(key) ?? 0;
