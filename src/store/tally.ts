// Adding up counts into Aggregates (see Store.aggregate), for every adapter: events counted one by one, or many at
// once from a store's rollups.
import type { Outcome } from '../domain/event.js';
import type { AggregateRequest, Aggregates, FacetField } from './store.js';

export class Tally {
  readonly #fields: readonly FacetField[];
  readonly #bounds: readonly number[] | undefined;
  readonly #facets = new Map<FacetField, Map<string, number>>();
  readonly #buckets: number[] | undefined;
  #total = 0;
  #oldest = Infinity;

  constructor(request: AggregateRequest) {
    this.#fields = request.facets;
    this.#bounds = request.bounds;
    for (const field of request.facets) this.#facets.set(field, new Map());
    this.#buckets = request.bounds ? new Array<number>(Math.max(0, request.bounds.length - 1)).fill(0) : undefined;
  }

  /** One event. */
  event(timeMs: number, action: string, actor: string, country: string | null, outcome: Outcome): void {
    this.#total++;
    if (timeMs < this.#oldest) this.#oldest = timeMs;
    this.#bucket(timeMs, 1);
    for (const field of this.#fields) {
      const value = field === 'action' ? action : field === 'actor' ? actor : field === 'country' ? country : outcome;
      if (value !== null) this.#add(field, value, 1);
    }
  }

  /**
   * `n` events counted already (a rollup row): `total` rows are the events of a span starting at `at` (which must
   * not straddle a histogram boundary), the others their split by a field's value.
   */
  counted(field: FacetField | 'total', at: number, value: string, n: number): void {
    if (field === 'total') {
      this.#total += n;
      this.#bucket(at, n);
    } else if (this.#facets.has(field)) {
      this.#add(field, value, n);
    }
  }

  /** `coveredFrom`: with complete false, how far back the counting got, when that is not the oldest event counted. */
  result(complete: boolean, coveredFrom?: number): Aggregates {
    const facets: Aggregates['facets'] = {};
    for (const [field, counts] of this.#facets) {
      facets[field] = [...counts].map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    }
    const out: Aggregates = { total: this.#total, facets, complete };
    if (this.#buckets) out.buckets = [...this.#buckets];
    const from = coveredFrom ?? this.#oldest;
    if (!complete && Number.isFinite(from)) out.coveredFrom = from;
    return out;
  }

  #add(field: FacetField, value: string, n: number): void {
    const counts = this.#facets.get(field)!;
    counts.set(value, (counts.get(value) ?? 0) + n);
  }

  #bucket(at: number, n: number): void {
    const bounds = this.#bounds;
    if (!bounds || bounds.length < 2 || at < bounds[0] || at >= bounds[bounds.length - 1]) return;
    // The last boundary at or before `at`.
    let lo = 0;
    let hi = bounds.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (bounds[mid] <= at) lo = mid;
      else hi = mid;
    }
    this.#buckets![lo] += n;
  }
}
