/**
 * The common shape of compiled patterns and match specifications.
 *
 * A {@link Matcher} is what `compilePattern` (match_object) and `compileMatchSpec` (select) both
 * produce: a pure function from one record to a result (or {@link NO_MATCH}), plus what each
 * clause's head pins down to literals, for the planner (`planner.ts`) to turn into a key lookup,
 * an index read or a key range.
 *
 * Contract for the executor:
 * - `run` is synchronous, pure and never throws; call it on every candidate record, including
 *   the records a lookup/index/range plan produced (a plan only narrows the candidates).
 * - Clauses are tried in order; the first whose head matches and whose guards are all `true`
 *   gives the result (Erlang semantics).
 * - Results may share structure with the record (a `'$_'` result IS the record; `'$1'` may be a
 *   frozen sub-array of it). The stored record is frozen, but Dates and binary inside it are
 *   not: when `exportRecord(record) !== record` the executor must deep-copy (structuredClone)
 *   the result before handing it out.
 * - A matcher is cached and shared: never mutate it.
 *
 * @module
 */
import type { Rec } from '../storage/record.js'

/** Returned by {@link Matcher.run} when the record does not match any clause. */
export const NO_MATCH: unique symbol = Symbol('webnesia.noMatch')

/**
 * The value a clause returns when evaluating its body raises (an arithmetic error, `element`
 * out of range, …): as in Erlang match specifications, where such a body yields the atom 'EXIT'.
 */
export const BODY_EXIT = 'EXIT'

/** What one clause's head binds to ground literals (no `'_'`, no variables anywhere inside). */
export interface ClauseBinding {
  /** The key attribute is bound to this literal (it may be an invalid key: nothing matches). */
  readonly key?: { readonly value: unknown }
  /**
   * The key pattern is an array whose first elements (at least one, not all) are ground:
   * these elements. Only set when `key` is not.
   */
  readonly keyPrefix?: readonly unknown[]
  /** Non-key attributes bound to ground literals (by the head, or by a `'$N' == literal` guard). */
  readonly attrs: ReadonlyMap<string, unknown>
}

/** A compiled pattern or match specification. */
export interface Matcher {
  /** The result for a record (the record itself for a pattern), or {@link NO_MATCH}. Never throws. */
  run(record: Rec): unknown
  /** One entry per clause (a pattern has one clause), in clause order. */
  readonly clauses: readonly ClauseBinding[]
}
