// The search query language's parser: a `q=` string into a syntax tree (src/domain/query.ts has the grammar). It
// only reads the shape; values get their meaning in plan.ts. Errors say where (a 0-based character position) and
// what was expected there.
import { AnnalsError } from '../domain/errors.js';
import { type Query, QUERY_FIELDS, type QueryField, type QueryTerm, type Span } from '../domain/query.js';

/** Most terms one query may hold: every term is a condition the store must check. */
export const MAX_TERMS = 32;

const FIELDS = new Set<string>(QUERY_FIELDS);
const SPACE = /\s/u;

/** A query error at `position` (0-based) of the `q` string. */
export function queryError(position: number, detail: string, expected: string): AnnalsError {
  return new AnnalsError('ANN_ERR_QUERY_SYNTAX', `q, at position ${position}: ${detail}`, { parameter: 'q', position, expected });
}

/** The query with a caret under `position`, for terminals. */
export function caret(source: string, position: number): string {
  return `${source}\n${' '.repeat(Math.min(position, source.length))}^`;
}

export function parseQuery(source: string): Query {
  return new Parser(source).parse();
}

/** A query of one phrase: the whole of `text` as literal free text (nothing in it is syntax). */
export function phraseQuery(text: string): Query {
  const trimmed = text.trim();
  const start = text.indexOf(trimmed);
  const span = { start, end: start + trimmed.length };
  return { source: text, terms: trimmed === '' ? [] : [{ kind: 'text', text: trimmed, phrase: true, negated: false, span }] };
}

class Parser {
  readonly #s: string;
  #at = 0;

  constructor(source: string) {
    this.#s = source;
  }

  parse(): Query {
    const terms: QueryTerm[] = [];
    for (;;) {
      this.#skipSpace();
      if (this.#at >= this.#s.length) break;
      const term = this.#term();
      if (term === undefined) continue;
      if (terms.length === MAX_TERMS) throw queryError(term.span.start, `a query holds at most ${MAX_TERMS} terms`, 'the end of the query');
      terms.push(term);
    }
    return { source: this.#s, terms };
  }

  #skipSpace(): void {
    while (this.#at < this.#s.length && SPACE.test(this.#s[this.#at])) this.#at++;
  }

  #atEnd(): boolean {
    return this.#at >= this.#s.length || SPACE.test(this.#s[this.#at]);
  }

  /** One term, or undefined for text that can never match (no letter or digit: the index holds no such word). */
  #term(): QueryTerm | undefined {
    const start = this.#at;
    let negated = false;
    if (this.#s[this.#at] === '-') {
      this.#at++;
      if (this.#atEnd()) throw queryError(start + 1, "expected a term after '-'", 'a word, a "phrase" or a qualifier:value');
      negated = true;
    }
    if (this.#s[this.#at] === '"') {
      const { value, span } = this.#quoted();
      return this.#text(value, true, negated, { start, end: span.end + 1 });
    }
    const name = /^[A-Za-z]+:/.exec(this.#s.slice(this.#at, this.#at + 16));
    if (name) {
      const field = name[0].slice(0, -1).toLowerCase();
      if (!FIELDS.has(field)) {
        throw queryError(this.#at, `unknown qualifier '${name[0]}' (to search for it as text, put it in quotes)`,
          `one of ${QUERY_FIELDS.map((f) => `${f}:`).join(', ')}`);
      }
      this.#at += name[0].length;
      return this.#qualifier(field as QueryField, negated, start);
    }
    const { value, span } = this.#bare('a word');
    return this.#text(value, false, negated, { start, end: span.end });
  }

  #qualifier(field: QueryField, negated: boolean, start: number): QueryTerm {
    if (this.#atEnd()) throw queryError(this.#at, `expected a value after '${field}:'`, `a value, or a "quoted value"`);
    const { value, span } = this.#s[this.#at] === '"' ? this.#quoted() : this.#bare('a value');
    if (value === '') throw queryError(span.start, `expected a value after '${field}:'`, 'a value');
    const end = this.#s[span.end] === '"' ? span.end + 1 : span.end;
    return { kind: 'qualifier', field, value, negated, span: { start, end }, valueSpan: span };
  }

  #text(text: string, phrase: boolean, negated: boolean, span: Span): QueryTerm | undefined {
    if (!/[\p{L}\p{N}]/u.test(text)) return undefined;
    return { kind: 'text', text, phrase, negated, span };
  }

  /** A run of non-space characters; a quote inside it is an error (quote the whole value instead). */
  #bare(what: string): { value: string; span: Span } {
    const start = this.#at;
    while (!this.#atEnd()) {
      if (this.#s[this.#at] === '"') {
        throw queryError(this.#at, `unexpected '"' inside ${what}`, `white space before the quote, or the whole of ${what} in quotes`);
      }
      this.#at++;
    }
    return { value: this.#s.slice(start, this.#at), span: { start, end: this.#at } };
  }

  /** `"…"` with `\"` and `\\` escapes; the span is the inside of the quotes. */
  #quoted(): { value: string; span: Span } {
    const open = this.#at;
    this.#at++;
    let value = '';
    while (this.#at < this.#s.length) {
      const c = this.#s[this.#at];
      if (c === '"') {
        const span = { start: open + 1, end: this.#at };
        this.#at++;
        if (!this.#atEnd()) {
          throw queryError(this.#at, 'expected white space after a closing quote', 'white space or the end of the query');
        }
        return { value, span };
      }
      if (c === '\\' && this.#at + 1 < this.#s.length) {
        value += this.#s[this.#at + 1];
        this.#at += 2;
        continue;
      }
      value += c;
      this.#at++;
    }
    throw queryError(open, 'this quote is never closed', 'a closing \'"\'');
  }
}
