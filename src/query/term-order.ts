/**
 * Term order over every value a record can hold, for guards (`'<'`, `'=='`, `min`, …).
 *
 * `storage/term.ts` orders keys (IndexedDB key order). Guards compare any record value, so this
 * module extends that order to the values that cannot be keys, placing them around the key types
 * so that on two keys {@link compareTerms} agrees with `compareKeys` exactly:
 *
 *     undefined < null < false < true < number < Date < string < binary < array < plain object
 *     └──── not keys ──────────────┘   └──────────── key order ─────────┘   └─ not a key ┘
 *
 * - numbers numerically, -0 equal to 0; NaN (records may hold it) equals NaN and sorts after
 *   +Infinity;
 * - Dates by time value (an invalid Date, time NaN, after every valid one);
 * - strings by UTF-16 code units; binary (ArrayBuffer or any view) bytewise unsigned, then length;
 * - arrays element-wise, then by length;
 * - plain objects by their sorted list of property names (compared as an array of strings), then
 *   by the values in that order. Properties holding `undefined` count as absent.
 *
 * `undefined` never occurs in a stored record; it is ranked only so that the order is total.
 * {@link termEquals} is "compareTerms(a, b) === 0", which is the same relation as
 * `deepEqual`/`canonical` of `storage/term.ts` (tested), without building strings.
 *
 * @module
 */

const enum Rank {
  Undefined = 0,
  Null = 1,
  Boolean = 2,
  Number = 3,
  Date = 4,
  String = 5,
  Binary = 6,
  Array = 7,
  Object = 8,
}

function rank(v: unknown): Rank {
  switch (typeof v) {
    case 'number':
      return Rank.Number
    case 'string':
      return Rank.String
    case 'boolean':
      return Rank.Boolean
    case 'undefined':
      return Rank.Undefined
    case 'object':
      if (v === null) return Rank.Null
      if (Array.isArray(v)) return Rank.Array
      if (v instanceof Date) return Rank.Date
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return Rank.Binary
      return Rank.Object
    default:
      // functions, symbols, bigints are not record values; rank them with objects.
      return Rank.Object
  }
}

function cmpNum(x: number, y: number): number {
  if (x < y) return -1
  if (x > y) return 1
  if (x === y) return 0
  // At least one NaN: NaN sorts last and equals itself.
  const nx = Number.isNaN(x)
  const ny = Number.isNaN(y)
  return nx === ny ? 0 : nx ? 1 : -1
}

function bytes(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  return new Uint8Array(v)
}

function definedKeys(o: object): string[] {
  const out: string[] = []
  for (const k of Object.keys(o)) if ((o as Record<string, unknown>)[k] !== undefined) out.push(k)
  return out.sort()
}

/**
 * Compares two record values in term order: negative, 0 or positive.
 * On valid keys it agrees with `compareKeys`.
 *
 * @example
 * compareTerms(null, false) < 0; compareTerms(3, 'a') < 0; compareTerms([1], [1, 0]) < 0
 */
export function compareTerms(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (typeof a === 'number' && typeof b === 'number') return cmpNum(a, b)
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : 1
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra < rb ? -1 : 1
  switch (ra) {
    case Rank.Boolean:
      return a ? 1 : -1 // a !== b here
    case Rank.Date:
      return cmpNum((a as Date).getTime(), (b as Date).getTime())
    case Rank.Binary: {
      const x = bytes(a as ArrayBuffer)
      const y = bytes(b as ArrayBuffer)
      const n = Math.min(x.length, y.length)
      for (let i = 0; i < n; i++) {
        const d = (x[i] as number) - (y[i] as number)
        if (d !== 0) return d < 0 ? -1 : 1
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0
    }
    case Rank.Array: {
      const x = a as readonly unknown[]
      const y = b as readonly unknown[]
      const n = Math.min(x.length, y.length)
      for (let i = 0; i < n; i++) {
        const d = compareTerms(x[i], y[i])
        if (d !== 0) return d
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0
    }
    case Rank.Object: {
      const kx = definedKeys(a as object)
      const ky = definedKeys(b as object)
      const d = compareTerms(kx, ky)
      if (d !== 0) return d
      for (const k of kx) {
        const e = compareTerms((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
        if (e !== 0) return e
      }
      return 0
    }
    default:
      // Null and Undefined: a single value each.
      return 0
  }
}

/**
 * Deep equality of record values: `compareTerms(a, b) === 0`. Same relation as `deepEqual` of
 * `storage/term.ts` (Dates by time, binary by bytes, objects regardless of property order).
 */
export function termEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true
  const ta = typeof a
  if (ta !== typeof b || ta !== 'object') {
    // Two numbers: only NaN vs NaN is equal without ===. Different types are never equal.
    return ta === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b)
  }
  return compareTerms(a, b) === 0
}
