// Word error rate, on text normalised so that only words count: case, punctuation, digits vs words
// ("7" and "seven"), and the usual contractions are not errors.
const ONES =
  'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen'.split(
    ' ',
  );
const TENS = 'zero ten twenty thirty forty fifty sixty seventy eighty ninety'.split(' ');
const CONTRACTIONS: [RegExp, string][] = [
  [/\b(what|that|it|he|she|there|here|who|where|how)'s\b/g, '$1 is'],
  [/\bi'm\b/g, 'i am'],
  [/\b(\w+)'re\b/g, '$1 are'],
  [/\b(\w+)'ll\b/g, '$1 will'],
  [/\b(\w+)'ve\b/g, '$1 have'],
  [/\b(\w+)'d\b/g, '$1 would'],
  [/\bcan't\b|\bcannot\b/g, 'can not'],
  [/\bwon't\b/g, 'will not'],
  [/\b(\w+)n't\b/g, '$1 not'],
  [/\bok\b/g, 'okay'],
  [/\bmr\b/g, 'mister'],
];

function numberWords(n: number): string {
  if (n < 20) return ONES[n] as string;
  if (n < 100) return `${TENS[Math.floor(n / 10)]}${n % 10 ? ` ${ONES[n % 10]}` : ''}`;
  if (n < 1000) return `${ONES[Math.floor(n / 100)]} hundred${n % 100 ? ` ${numberWords(n % 100)}` : ''}`;
  if (n < 1_000_000)
    return `${numberWords(Math.floor(n / 1000))} thousand${n % 1000 ? ` ${numberWords(n % 1000)}` : ''}`;
  return String(n)
    .split('')
    .map((d) => ONES[Number(d)])
    .join(' ');
}

export function words(text: string): string[] {
  let s = text.toLowerCase().replace(/[’‘]/g, "'");
  // Clock times: "7:30" is said "seven thirty", "7:05" "seven oh five", "7:00" "seven".
  s = s.replace(/\b(\d{1,2}):(\d{2})\b/g, (_, h: string, m: string) => {
    const minutes =
      m === '00' ? '' : m.startsWith('0') ? ` oh ${numberWords(Number(m))}` : ` ${numberWords(Number(m))}`;
    return `${numberWords(Number(h))}${minutes}`;
  });
  s = s.replace(/(\d),(\d{3})/g, '$1$2').replace(/(\d)%/g, '$1 percent');
  s = s.replace(/\b\d+\b/g, (n) => numberWords(Number(n)));
  for (const [pattern, replacement] of CONTRACTIONS) s = s.replace(pattern, replacement);
  return s
    .replace(/-/g, ' ')
    .replace(/[^a-z' ]+/g, ' ')
    .replace(/(^|\s)'|'(\s|$)/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Word-level edit distance between a reference and a hypothesis. */
export function wordErrors(reference: string[], hypothesis: string[]): number {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const current = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      const substitution = (previous[j - 1] as number) + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[hypothesis.length] as number;
}
