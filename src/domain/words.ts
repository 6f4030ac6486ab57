// How stores compare text, for everything above them to agree with: places fold ASCII case only; free text is
// words, case and diacritics folded, split on everything that is not a letter or a digit (SQLite FTS5's unicode61
// tokenizer, which the PostgreSQL store reproduces by indexing these words). Pure.

/** ASCII case folding only, as SQL's NOCASE (and `lower(x COLLATE "C")`) compares places. */
export const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

export function words(text: string): string[] {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
