/** A run of digits that the tokenizer splits into chunks counted from the left. UTF-16 offsets. */
export interface LongNumber {
  readonly start: number;
  readonly end: number;
  readonly digits: string;
}

/**
 * Integers of at least `minDigits` ASCII digits written without separators: not part of an
 * identifier (`abc12345`, `0x1f2e3`), not the fraction of a decimal (`3.14159`), not already grouped
 * (`1,234567` is left alone). Default 5: most 4-digit numbers in prompts are years. O(text).
 */
export function findLongNumbers(text: string, minDigits = 5): LongNumber[] {
  const out: LongNumber[] = [];
  const re = /\d+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if (m[0].length < minDigits) continue;
    const before = start > 0 ? text[start - 1]! : '';
    const after = end < text.length ? text[end]! : '';
    if (/[\p{L}_.,]/u.test(before) || /[\p{L}_]/u.test(after)) continue;
    out.push({ start, end, digits: m[0] });
  }
  return out;
}

/** `1234567` → `1,234,567`: groups of three from the right. */
export function groupThousands(digits: string, separator = ','): string {
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += separator;
    out += digits[i];
  }
  return out;
}
