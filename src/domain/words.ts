// The words of a free-text document or term, as every store's full-text index sees them: case and diacritics
// folded, split on everything that is not a letter or a digit (SQLite FTS5's unicode61 tokenizer, which the
// PostgreSQL store reproduces by indexing these words). Pure.

export function words(text: string): string[] {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
