// The search query language's syntax tree: what the parser (src/query/parser.ts) makes of a `q=` string, before the
// planner (src/query/plan.ts) gives its values meaning. Pure types.
//
//   query     := term*                       terms are separated by white space
//   term      := '-'? (qualifier | text)     a leading '-' excludes
//   qualifier := NAME ':' value              NAME is one of QUERY_FIELDS
//   value     := quoted | bare
//   text      := quoted | bare               a quoted text is a phrase
//   quoted    := '"' (char | '\"' | '\\')* '"'
//
// Repeating a qualifier ORs its values, different qualifiers AND, text terms all must match. `time:` values
// intersect instead (two bounds make a range).

export const QUERY_FIELDS = [
  'action', 'category', 'product', 'operation', 'actor', 'ip', 'country', 'city', 'location', 'context', 'container',
  'entity', 'outcome', 'time',
] as const;

export type QueryField = (typeof QUERY_FIELDS)[number];

/** Character offsets into the query string, `end` exclusive. */
export interface Span {
  start: number;
  end: number;
}

export interface QualifierTerm {
  kind: 'qualifier';
  field: QueryField;
  /** The value, unquoted and unescaped. */
  value: string;
  negated: boolean;
  /** The whole term, and the value alone (inside the quotes when quoted). */
  span: Span;
  valueSpan: Span;
}

export interface TextTerm {
  kind: 'text';
  text: string;
  /** Quoted: the words must appear together, in order. */
  phrase: boolean;
  negated: boolean;
  span: Span;
}

export type QueryTerm = QualifierTerm | TextTerm;

export interface Query {
  /** The string the terms were parsed from (spans point into it). */
  source: string;
  terms: QueryTerm[];
}
