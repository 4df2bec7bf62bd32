/**
 * Records in the replication document.
 *
 * Yjs stores plain JSON-like values (null, booleans, numbers, strings, arrays, plain objects) and
 * `Uint8Array`. Records may also hold Dates, ArrayBuffers and other typed arrays, so those are
 * tagged on the way in and restored on the way out: a tagged value is an object with the single
 * property `"\u0000"` holding `[tag, payload]`; a user object property whose name starts with
 * `"\u0000"` gets one more `"\u0000"` in front, so no user value is ever mistaken for a tag.
 * Values that need no tagging are passed through as they are (the common case costs one walk).
 *
 * A table's records under one key are stored as one array value under `keyString(key)` in the
 * table's map; set tables hold one element, bags all their records in canonical order.
 *
 * @module
 */
import { BadRecordError } from '../errors.js'
import { isPlainObject } from '../storage/record.js'
import { canonical, type Key } from '../storage/term.js'

const TAG = '\u0000'

type TypedArrayName =
  | 'Int8Array'
  | 'Uint8ClampedArray'
  | 'Int16Array'
  | 'Uint16Array'
  | 'Int32Array'
  | 'Uint32Array'
  | 'Float32Array'
  | 'Float64Array'
  | 'BigInt64Array'
  | 'BigUint64Array'

const TYPED: Record<TypedArrayName, new (b: ArrayBuffer) => ArrayBufferView> = {
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
}

/** The map key of a record key in a table's map (equal strings exactly for equal keys). */
export function keyString(key: Key): string {
  return canonical(key)
}

function bytesOf(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v.slice(0)) : new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))
}

/** Encodes a value for the document (returns `v` itself when nothing needs a tag). */
export function encodeValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v
  if (v instanceof Date) return { [TAG]: ['d', v.getTime()] }
  if (v instanceof Uint8Array) return v.constructor === Uint8Array ? v : { [TAG]: ['u', new Uint8Array(v)] }
  if (v instanceof ArrayBuffer) return { [TAG]: ['b', bytesOf(v)] }
  if (ArrayBuffer.isView(v)) return { [TAG]: ['t', v.constructor.name, bytesOf(v)] }
  if (Array.isArray(v)) {
    let out: unknown[] | null = null
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i]
      const e = encodeValue(x)
      if (e !== x && !out) out = v.slice(0, i)
      if (out) out.push(e)
    }
    return out ?? v
  }
  const o = v as Record<string, unknown>
  let out: Record<string, unknown> | null = null
  const keys = Object.keys(o)
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    const x = o[k]
    const e = encodeValue(x)
    const ek = k.startsWith(TAG) ? TAG + k : k
    if ((e !== x || ek !== k) && !out) {
      out = {}
      for (let j = 0; j < i; j++) out[keys[j] as string] = o[keys[j] as string]
    }
    if (out) out[ek] = e
  }
  return out ?? v
}

/** Decodes a value read from the document. Throws {@link BadRecordError} on a malformed tag. */
export function decodeValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v
  if (Array.isArray(v)) {
    let out: unknown[] | null = null
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i]
      const d = decodeValue(x)
      if (d !== x && !out) out = v.slice(0, i)
      if (out) out.push(d)
    }
    return out ?? v
  }
  if (!isPlainObject(v)) throw new BadRecordError('malformed value in a replicated record')
  const keys = Object.keys(v)
  if (keys.length === 1 && keys[0] === TAG) return untag(v[TAG])
  let out: Record<string, unknown> | null = null
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    const x = v[k]
    const d = decodeValue(x)
    const dk = k.startsWith(TAG) ? k.slice(1) : k
    if ((d !== x || dk !== k) && !out) {
      out = {}
      for (let j = 0; j < i; j++) out[keys[j] as string] = v[keys[j] as string]
    }
    if (out) out[dk] = d
  }
  return out ?? v
}

function untag(t: unknown): unknown {
  if (!Array.isArray(t)) throw new BadRecordError('malformed tagged value')
  const [tag, a, b] = t as unknown[]
  if (tag === 'd' && typeof a === 'number') return new Date(a)
  if (tag === 'u' && a instanceof Uint8Array) return new Uint8Array(a)
  if (tag === 'b' && a instanceof Uint8Array) return a.slice().buffer
  if (tag === 't' && typeof a === 'string' && a in TYPED && b instanceof Uint8Array) {
    const Ctor = TYPED[a as TypedArrayName]
    const bytes = b.slice()
    try {
      return new Ctor(bytes.buffer)
    } catch {
      throw new BadRecordError(`malformed ${a}`)
    }
  }
  throw new BadRecordError('malformed tagged value')
}

/** Encodes a key's records for the document. */
export function encodeRecords(recs: readonly Readonly<Record<string, unknown>>[]): unknown[] {
  return recs.map((r) => encodeValue(r))
}

/** The inverse of {@link keyString} for valid keys. Throws {@link BadRecordError} otherwise. */
export function parseKeyString(s: string): Key {
  let i = 0
  const fail = (): never => {
    throw new BadRecordError('malformed key in a replicated table')
  }
  const parse = (): Key => {
    const c = s[i++]
    if (c === 'n') {
      const m = /^-?(?:Infinity|\d+(?:\.\d+)?(?:e[+-]?\d+)?)/.exec(s.slice(i))
      if (!m) fail()
      i += (m as RegExpExecArray)[0].length
      return Number((m as RegExpExecArray)[0])
    }
    if (c === 's') {
      // A JSON string: find its closing quote (skipping escapes).
      if (s[i] !== '"') fail()
      let j = i + 1
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1
      if (j >= s.length) fail()
      const v = JSON.parse(s.slice(i, j + 1)) as unknown
      i = j + 1
      if (typeof v !== 'string') fail()
      return v as string
    }
    if (c === 'd') {
      const m = /^-?\d+/.exec(s.slice(i))
      if (!m) fail()
      i += (m as RegExpExecArray)[0].length
      return new Date(Number((m as RegExpExecArray)[0]))
    }
    if (c === 'b') {
      const m = /^(?:[0-9a-f]{2})*/.exec(s.slice(i)) as RegExpExecArray
      const hex = m[0]
      i += hex.length
      const out = new Uint8Array(hex.length / 2)
      for (let k = 0; k < out.length; k++) out[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16)
      return out.buffer
    }
    if (c === '[') {
      const arr: Key[] = []
      if (s[i] === ']') {
        i++
        return arr
      }
      for (;;) {
        arr.push(parse())
        const d = s[i++]
        if (d === ']') return arr
        if (d !== ',') fail()
      }
    }
    return fail()
  }
  const k = parse()
  if (i !== s.length) fail()
  return k
}
