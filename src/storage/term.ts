/**
 * Term order, keys and canonical forms.
 *
 * webnesia's term order IS IndexedDB key order, so that a table iterates in the same order in
 * memory and on disc:
 *
 *     number  <  Date  <  string  <  binary  <  array
 *
 * numbers numerically (-0 equals 0), Dates by time value, strings by UTF-16 code units, binary
 * (ArrayBuffer and views) bytewise unsigned then by length, arrays element-wise then by length.
 * {@link compareKeys} is the one comparator used everywhere; it is tested against
 * `indexedDB.cmp` on random keys.
 *
 * {@link canonical} gives every value a string that is equal exactly when two values are deeply
 * equal; it is how bag tables tell duplicate records apart and how non-primitive keys and index
 * values are hashed.
 *
 * @module
 */
import { BadKeyError } from '../errors.js'

/** A valid key: an IndexedDB key. */
export type Key = number | string | Date | ArrayBuffer | ArrayBufferView | readonly Key[]

/** A hashable stand-in for a key or value: primitives stay themselves, others become strings. */
export type NormKey = number | string

const enum Rank {
  Number = 1,
  Date = 2,
  String = 3,
  Binary = 4,
  Array = 5,
}

function rank(k: unknown): Rank {
  if (typeof k === 'number') return Rank.Number
  if (typeof k === 'string') return Rank.String
  if (k instanceof Date) return Rank.Date
  if (Array.isArray(k)) return Rank.Array
  return Rank.Binary
}

function bytes(k: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (k instanceof Uint8Array) return k
  if (ArrayBuffer.isView(k)) return new Uint8Array(k.buffer, k.byteOffset, k.byteLength)
  return new Uint8Array(k)
}

/**
 * Compares two valid keys in term (= IndexedDB) order: negative, 0 or positive.
 * @throws Nothing for valid keys; the result for anything else is unspecified (validate with the
 * operations that take keys, which reject with BadKeyError).
 */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  switch (ra) {
    case Rank.Date: {
      const x = (a as Date).getTime()
      const y = (b as Date).getTime()
      return x < y ? -1 : x > y ? 1 : 0
    }
    case Rank.Binary: {
      const x = bytes(a as ArrayBuffer)
      const y = bytes(b as ArrayBuffer)
      const n = Math.min(x.length, y.length)
      for (let i = 0; i < n; i++) {
        const d = (x[i] as number) - (y[i] as number)
        if (d !== 0) return d < 0 ? -1 : 1
      }
      return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1
    }
    case Rank.Array: {
      const x = a as unknown[]
      const y = b as unknown[]
      const n = Math.min(x.length, y.length)
      for (let i = 0; i < n; i++) {
        const d = compareKeys(x[i], y[i])
        if (d !== 0) return d
      }
      return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1
    }
    default:
      // Both numbers or both strings were handled above.
      return 0
  }
}

/** How deep arrays may nest in a key (deeper ones are refused: no stack overflow later). */
const MAX_KEY_DEPTH = 1000

/** True when `k` is a valid IndexedDB key (arrays nested at most {@link MAX_KEY_DEPTH} deep). */
export function isValidKey(k: unknown, seen?: Set<unknown>): k is Key {
  switch (typeof k) {
    case 'number':
      return !Number.isNaN(k)
    case 'string':
      return true
    case 'object': {
      if (k === null) return false
      if (k instanceof Date) return !Number.isNaN(k.getTime())
      if (k instanceof ArrayBuffer || ArrayBuffer.isView(k)) return true
      if (Array.isArray(k)) {
        const path = seen ?? new Set<unknown>()
        if (path.has(k) || path.size >= MAX_KEY_DEPTH) return false
        path.add(k)
        for (let i = 0; i < k.length; i++) {
          if (!(i in k) || !isValidKey(k[i], path)) return false
        }
        path.delete(k)
        return true
      }
      return false
    }
    default:
      return false
  }
}

/** Throws {@link BadKeyError} unless `k` is a valid key. */
export function checkKey(k: unknown): asserts k is Key {
  let ok: boolean
  try {
    ok = isValidKey(k)
  } catch {
    ok = false // a Proxy or getter that throws while the key is read
  }
  if (!ok) throw new BadKeyError(k)
}

/**
 * A hashable form of a key or any value: numbers and strings stay as they are (with -0 made 0),
 * everything else becomes its canonical string behind a prefix no plain string key can carry into
 * the same map (callers keep non-primitive forms apart, see {@link KeyMap}).
 */
export function normKey(k: unknown): NormKey {
  if (typeof k === 'number') return k === 0 ? 0 : k
  if (typeof k === 'string') return k
  return canonical(k)
}

/** True when {@link normKey} would not return `k` itself (so it needs its own namespace). */
export function isComposite(k: unknown): boolean {
  return typeof k !== 'number' && typeof k !== 'string'
}

function hex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += ((b[i] as number) < 16 ? '0' : '') + (b[i] as number).toString(16)
  return s
}

/**
 * A string equal for two values exactly when they are deeply equal (objects regardless of
 * property order; absent and `undefined` properties alike; -0 equal to 0).
 */
export function canonical(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return 'n' + String(v === 0 ? 0 : v)
    case 'string':
      return 's' + JSON.stringify(v)
    case 'boolean':
      return v ? 't' : 'f'
    case 'undefined':
      return 'u'
    case 'object': {
      if (v === null) return 'z'
      if (Array.isArray(v)) {
        let s = '['
        for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonical(v[i])
        return s + ']'
      }
      if (v instanceof Date) return 'd' + String(v.getTime())
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return 'b' + hex(bytes(v))
      const keys = Object.keys(v).sort()
      let s = '{'
      let first = true
      for (const key of keys) {
        const x = (v as Record<string, unknown>)[key]
        if (x === undefined) continue
        s += (first ? '' : ',') + JSON.stringify(key) + ':' + canonical(x)
        first = false
      }
      return s + '}'
    }
    default:
      return '?' + typeof v
  }
}

/** Deep equality of record values (see {@link canonical}). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return a === b || canonical(a) === canonical(b)
}

/**
 * A map keyed by keys (or any values) under deep equality: numbers and strings go straight into
 * a `Map`, composite keys (Date, binary, arrays, objects) into a second one by canonical string.
 */
export class KeyMap<V> {
  private readonly prim = new Map<number | string, V>()
  private readonly comp = new Map<string, V>()

  get size(): number {
    return this.prim.size + this.comp.size
  }
  get(k: unknown): V | undefined {
    if (typeof k === 'number') return this.prim.get(k === 0 ? 0 : k)
    if (typeof k === 'string') return this.prim.get(k)
    return this.comp.get(canonical(k))
  }
  set(k: unknown, v: V): void {
    if (typeof k === 'number') this.prim.set(k === 0 ? 0 : k, v)
    else if (typeof k === 'string') this.prim.set(k, v)
    else this.comp.set(canonical(k), v)
  }
  delete(k: unknown): boolean {
    if (typeof k === 'number') return this.prim.delete(k === 0 ? 0 : k)
    if (typeof k === 'string') return this.prim.delete(k)
    return this.comp.delete(canonical(k))
  }
  has(k: unknown): boolean {
    return this.get(k) !== undefined
  }
  clear(): void {
    this.prim.clear()
    this.comp.clear()
  }
  *values(): IterableIterator<V> {
    yield* this.prim.values()
    yield* this.comp.values()
  }
}
