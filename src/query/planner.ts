/**
 * Access planning: which records a compiled pattern or match spec can possibly match.
 *
 * A plan only narrows the candidates; the executor still runs the matcher on every candidate.
 * Preference: lookup > index > range > scan.
 *
 * - `lookup`: every live clause binds the key to a literal. Keys are deduplicated (deep
 *   equality) and sorted in key order, so reading them in order yields an ordered_set's records
 *   in table order.
 * - `index`: every live clause binds the same indexed attribute (`def.index`) to a literal. When
 *   several indexed attributes qualify, the one with the fewest distinct values wins (ties: the
 *   first in `def.index`). Values are deduplicated (deep equality), in clause order.
 * - `range` (ordered_set only): every live clause's key pattern is an array starting with literal
 *   elements (a `keyPrefix`, or a bound array key); the prefix is the longest common run of
 *   leading elements, at least one. Candidates are the array keys starting with that prefix,
 *   which are exactly the keys in `[lower, upper)` of {@link prefixRange}.
 * - `scan`: everything else.
 *
 * A clause is dead when it binds the key to something that is not a valid key, or its key
 * prefix holds an element that is not a valid key: no stored record can match it, so planning
 * ignores it. When every clause is dead the plan is `{ kind: 'lookup', keys: [] }`.
 *
 * @module
 */
import type { TableDef } from '../schema/table-def.js'
import { canonical, compareKeys, isValidKey, type Key } from '../storage/term.js'
import type { ClauseBinding, Matcher } from './matcher.js'
import { termEquals } from './term-order.js'

/** How the executor should find candidate records. */
export type Plan =
  | { readonly kind: 'lookup'; readonly keys: Key[] }
  | { readonly kind: 'index'; readonly attr: string; readonly values: unknown[] }
  | { readonly kind: 'range'; readonly prefix: Key[] }
  | { readonly kind: 'scan' }

function dead(c: ClauseBinding): boolean {
  if (c.key !== undefined) return !isValidKey(c.key.value)
  return c.keyPrefix !== undefined && !c.keyPrefix.every((e) => isValidKey(e))
}

function dedupe<T>(vs: readonly T[]): T[] {
  const seen = new Set<string>()
  const out: T[] = []
  for (const v of vs) {
    const c = canonical(v)
    if (!seen.has(c)) {
      seen.add(c)
      out.push(v)
    }
  }
  return out
}

/** The literal leading elements a live clause pins its key to, or undefined. */
function leading(c: ClauseBinding): readonly unknown[] | undefined {
  if (c.key !== undefined) return Array.isArray(c.key.value) ? (c.key.value as readonly unknown[]) : undefined
  return c.keyPrefix
}

/**
 * Chooses how to find the candidates of `matcher` in a table.
 *
 * @example
 * planQuery(def, compilePattern(def, { empNo: 7 }))   // { kind: 'lookup', keys: [7] }
 * planQuery(def, compilePattern(def, { name: 'Ann' })) // { kind: 'index', … } when name is indexed
 */
export function planQuery(def: Pick<TableDef, 'attributes' | 'type' | 'index'>, matcher: Matcher): Plan {
  const live = matcher.clauses.filter((c) => !dead(c))
  if (live.length === 0) return { kind: 'lookup', keys: [] }

  if (live.every((c) => c.key !== undefined)) {
    const keys = dedupe(live.map((c) => (c.key as { value: unknown }).value as Key))
    return { kind: 'lookup', keys: keys.sort(compareKeys) }
  }

  let best: { attr: string; values: unknown[] } | undefined
  for (const attr of def.index) {
    if (attr === def.attributes[0] || !live.every((c) => c.attrs.has(attr))) continue
    const values = dedupe(live.map((c) => c.attrs.get(attr)))
    if (best === undefined || values.length < best.values.length) best = { attr, values }
  }
  if (best !== undefined) return { kind: 'index', attr: best.attr, values: best.values }

  if (def.type === 'ordered_set') {
    let prefix: readonly unknown[] | undefined
    for (const c of live) {
      const l = leading(c)
      if (l === undefined) {
        prefix = undefined
        break
      }
      if (prefix === undefined) {
        prefix = l
        continue
      }
      let n = 0
      while (n < prefix.length && n < l.length && termEquals(prefix[n], l[n])) n++
      prefix = prefix.slice(0, n)
    }
    if (prefix !== undefined && prefix.length > 0) return { kind: 'range', prefix: [...prefix] as Key[] }
  }
  return { kind: 'scan' }
}

/** True when `key` is an array whose first elements equal `prefix` (in key order). */
export function keyHasPrefix(key: unknown, prefix: readonly Key[]): boolean {
  if (!Array.isArray(key) || key.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (compareKeys(key[i], prefix[i]) !== 0) return false
  return true
}

/** The smallest double greater than `x`, or undefined for +Infinity. */
function nextUp(x: number): number | undefined {
  if (x === Infinity) return undefined
  if (x === 0) return Number.MIN_VALUE
  if (x === -Infinity) return -Number.MAX_VALUE
  const dv = new DataView(new ArrayBuffer(8))
  dv.setFloat64(0, x)
  const bits = dv.getBigUint64(0)
  dv.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n)
  return dv.getFloat64(0)
}

function isKeyArray(k: Key): k is readonly Key[] {
  return Array.isArray(k)
}

const MIN_DATE = -8.64e15
const MAX_DATE = 8.64e15

/**
 * The smallest key greater than `k` and than every array key extending `k` - i.e. the
 * immediate successor of `k` at one array position. No key lies strictly between `k` and it.
 */
function successor(k: Key): Key {
  if (typeof k === 'number') return nextUp(k) ?? new Date(MIN_DATE)
  if (typeof k === 'string') return k + '\u0000'
  if (k instanceof Date) return k.getTime() >= MAX_DATE ? '' : new Date(k.getTime() + 1)
  if (isKeyArray(k)) return [...k, -Infinity]
  const b = k instanceof ArrayBuffer ? new Uint8Array(k) : new Uint8Array(k.buffer, k.byteOffset, k.byteLength)
  const out = new Uint8Array(b.length + 1)
  out.set(b)
  return out
}

/**
 * Key bounds of the array keys starting with `prefix` (non-empty, every element a valid key):
 * a key `k` starts with `prefix` exactly when `lower <= k < upper` in key order, so the executor
 * can use `IDBKeyRange.bound(lower, upper, false, true)` with no post-filter.
 *
 * `lower` is `prefix` itself (an array sorts before its extensions). `upper` replaces the last
 * element `p` of `prefix` by its successor: the smallest key greater than `p` - for a number the
 * next double (after +Infinity, the earliest Date), for a Date the next millisecond (after the
 * last valid Date, `''`), for a string `p + '\u0000'`, for binary `p` plus a 0 byte, for an array
 * `[...p, -Infinity]`. Every extension `[...prefix, …]` is below `upper`, and no key lies between
 * `p` and its successor, so nothing else is in the range.
 *
 * @throws RangeError when `prefix` is empty (every array key would match: no upper bound exists).
 * @example
 * prefixRange([221])  // { lower: [221], upper: [221.00000000000003] }
 * prefixRange(['b'])  // { lower: ['b'], upper: ['b\u0000'] }
 */
export function prefixRange(prefix: readonly Key[]): { lower: Key; upper: Key } {
  const last = prefix[prefix.length - 1]
  if (last === undefined) throw new RangeError('prefixRange: the prefix must not be empty')
  return { lower: [...prefix], upper: [...prefix.slice(0, -1), successor(last)] }
}
