/**
 * The operation language of the differential tests: one sequence of operations, run on real
 * Mnesia (OTP, `mnesia-runner.escript`) and on webnesia, compared result by result.
 *
 * ## The shared subset and its mapping (webnesia ↔ Erlang)
 *
 *     integer            ↔ integer             (|n| small: no bignums, no 2^53 issues)
 *     non-integral float ↔ float               (halves and quarters: exact in both, printed alike)
 *     string             ↔ binary              (lowercase ASCII from 'abcd', never '_' or '$N')
 *     array of 2         ↔ 2-tuple             (elements integers or strings)
 *     record object      ↔ record tuple        ({tab, key, v, w}; every attribute always present)
 *     table name         ↔ atom                (record name = table name)
 *     'EXIT' (a body that raised) ↔ the atom 'EXIT'
 *     undefined (first/next at the end) ↔ '$end_of_table'
 *
 * JS has one number type, so an integral float that ARITHMETIC produces (`4 / 2` = 2.0 in Erlang)
 * is the integer 2 in webnesia (documented in `src/query/expr.ts`). The generator never feeds
 * such a value to `=:=` / `=/=` / `is_integer` / `is_float`, the only places where Erlang tells
 * 2 from 2.0; results are compared as numbers (2.0 and 2 print alike).
 *
 * ## Orders agree only on part of the subset
 *
 * Erlang's term order is number < atom < tuple < binary; webnesia's (IndexedDB key order) is
 * number < string < array. With strings ↔ binaries and arrays ↔ tuples the two orders agree on
 * numbers vs strings and numbers vs arrays, but not on strings vs arrays; and Erlang orders
 * tuples by SIZE first (webnesia arrays element-wise first). So:
 * - a table's keys are all of ONE kind: `scalar` (integers, floats, strings mixed) or `pair`
 *   (2-arrays only: equal sizes, so size-first and element-wise orders agree);
 * - a guard compares two values only when their possible types do not mix strings with arrays,
 *   and never a boolean with anything but a boolean (Erlang's booleans are atoms, above numbers;
 *   webnesia's below them);
 * - `size` is never applied to a string (a binary has a byte size in Erlang; a string has none in
 *   webnesia), and `length` (lists in Erlang, arrays in webnesia) is not generated.
 *
 * ## Orders that are unspecified
 *
 * Mnesia's `set` and `bag` tables iterate in hash order, webnesia's in term order (README, "Known
 * departures"); a bag key's records come back in insertion order in Mnesia, canonical order in
 * webnesia. Results whose order is unspecified are compared as multisets; `first`/`next`/`prev`/
 * `last` on a set or bag are compared as a whole walk (the set of keys visited).
 *
 * @module
 */

/** A value of the shared subset. */
export type Val = number | string | readonly [Val, Val]

/** The kinds of values an attribute (or an expression) may hold. */
export type Dom = 'int' | 'num' | 'scalar' | 'pair' | 'intstr'

/** A table of a sequence. */
export interface TableSpec {
  readonly name: string
  readonly type: 'set' | 'ordered_set' | 'bag'
  /** webnesia's storage type for this run (Mnesia: always ram_copies). */
  readonly storage: 'ram_copies' | 'disc_copies' | 'disc_only_copies'
  readonly attributes: readonly string[]
  /** The domain of each attribute, key first. */
  readonly doms: readonly Dom[]
  readonly index: readonly string[]
  /** A `[key, counter]` table: its values are written non-negative integers only. */
  readonly counter: boolean
}

/** A pattern value: a literal, `'_'`, a variable `'$N'`, or a 2-array of pattern values. */
export type PVal = Val | readonly [PVal, PVal]

/** A match-spec expression, in webnesia's syntax (prefix arrays; see src/query/expr.ts). */
export type Expr = unknown

/** One match-spec clause `[head, guards, body]`; head `'_'`, `'$N'`, or a pattern object. */
export type Clause = readonly [string | Readonly<Record<string, PVal>>, readonly Expr[], readonly Expr[]]

/** An operation that may run outside a transaction or inside one. */
export type BasicOp =
  | { readonly op: 'write'; readonly tab: string; readonly rec: readonly Val[] }
  | { readonly op: 'read'; readonly tab: string; readonly key: Val }
  | { readonly op: 'delete'; readonly tab: string; readonly key: Val }
  | { readonly op: 'delete_object'; readonly tab: string; readonly rec: readonly Val[] }
  | { readonly op: 'match_object'; readonly tab: string; readonly pattern: Readonly<Record<string, PVal>> }
  | { readonly op: 'select'; readonly tab: string; readonly spec: readonly Clause[] }
  | { readonly op: 'first' | 'last' | 'all_keys' | 'walk_fwd' | 'walk_bwd'; readonly tab: string }
  | { readonly op: 'next' | 'prev'; readonly tab: string; readonly key: Val }
  | { readonly op: 'index_read'; readonly tab: string; readonly value: Val; readonly attr: string }
  | {
      readonly op: 'index_match_object'
      readonly tab: string
      readonly pattern: Readonly<Record<string, PVal>>
      readonly attr: string
    }

/** Every operation of a sequence. */
export type Op =
  | BasicOp
  | { readonly op: 'select_chunked'; readonly tab: string; readonly spec: readonly Clause[]; readonly n: number }
  | { readonly op: 'update_counter'; readonly tab: string; readonly key: Val; readonly incr: number }
  | { readonly op: 'clear'; readonly tab: string }
  | { readonly op: 'fold'; readonly tab: string }
  | { readonly op: 'txn'; readonly ops: readonly BasicOp[]; readonly abort?: string }

/** A generated sequence: its tables, then its operations. */
export interface Sequence {
  readonly seed: number
  readonly tables: readonly TableSpec[]
  readonly ops: readonly Op[]
}

/**
 * Departures of webnesia from Mnesia the generator avoids (or the comparison tolerates), each
 * with its reason. EMPTY: the five that were listed here (non-integer counter increments,
 * update_counter on a stored non-integer, index reads of an ordered_set in key order, a failing
 * body expression as 'EXIT' in its own place, the empty match specification) now agree with
 * OTP 25 and are generated again; the one place an empty specification still differs is
 * Mnesia's own inconsistency (below). A name added here again must say why webnesia departs.
 */
export const KNOWN_DIFFERENCES: ReadonlySet<KnownDifference> = dropKnown([])

/**
 * Where Mnesia itself is inconsistent and webnesia keeps the consistent answer. The generator
 * leaves these cases out (each is described with the sequence that shows it in
 * test/differential/README.md).
 */
export const MNESIA_INCONSISTENT: readonly string[] = [
  // Inside a transaction, mnesia:first/next/last/prev over a set or bag miss keys the
  // transaction wrote, while mnesia:all_keys, select and match_object in the same transaction
  // see them. webnesia's iteration visits exactly the keys allKeys returns.
  'iteration-of-set-or-bag-inside-a-transaction',
  // On an ordered_set, mnesia:match_object and index_match_object that go through an index (key
  // unbound, an indexed attribute bound) return records in REVERSE key order, dirty and in
  // transactions, while index_read, select and match_object without an index return key order.
  // webnesia returns key order for all of them. (Compared as multisets.)
  'index-match-object-on-ordered-set-in-reverse-key-order',
  // mnesia:select(Tab, []) is [] dirty and in a transaction that has not written Tab, but in a
  // transaction that wrote Tab it aborts with badarg (ets:match_spec_compile([]) on the
  // transaction's own store; also select/4). webnesia gives [] everywhere, as ets:select does.
  // The generator makes empty specifications outside transactions only.
  'empty-match-spec-in-a-transaction-that-wrote-the-table',
  // On an ordered_set, inside a transaction that wrote a key, mnesia:index_match_object and
  // match_object through an index still return that key's committed record when the new one no
  // longer matches (OTP 25: after writing {t1,-2,<<"a">>,0} over {t1,-2,<<"abc">>,3}, both give
  // {t1,-2,<<"abc">>,3} for w = 3), while index_read, select, match_object without an index, and
  // every read of a set give the transaction's own record. webnesia gives the transaction's record
  // everywhere. The generator binds no indexed attribute in such a transaction.
  'index-match-on-ordered-set-keeps-overwritten-records-in-a-transaction',
]

/** `DIFF_NO_KNOWN=1` drops every known difference, `DIFF_NO_KNOWN=a,b` those named. */
function dropKnown(all: readonly KnownDifference[]): ReadonlySet<KnownDifference> {
  const drop = process.env.DIFF_NO_KNOWN ?? ''
  if (drop === '1') return new Set()
  const names = new Set(drop.split(','))
  return new Set(all.filter((k) => !names.has(k)))
}

/** The names {@link KNOWN_DIFFERENCES} may hold. */
export type KnownDifference =
  | 'counter-non-integer-increment'
  | 'counter-on-stored-non-integer'
  | 'index-read-ordered-set-order'
  | 'body-exit-in-place'
  | 'empty-match-spec'

/** The attribute names of a table (key first). */
export function tableOf(seq: Sequence, name: string): TableSpec {
  const t = seq.tables.find((x) => x.name === name)
  if (!t) throw new Error(`no table ${name} in the sequence`)
  return t
}

/** Ops in a sequence, counting those inside transactions. */
export function countOps(ops: readonly Op[]): number {
  let n = 0
  for (const o of ops) n += o.op === 'txn' ? 1 + o.ops.length : 1
  return n
}
