/**
 * Defensive decoding of remote Yjs updates.
 *
 * Yjs decodes updates trustingly: a crafted update can make it loop for a very long time or
 * allocate without bound (yjs issue #687: counts and run lengths that do not match the bytes
 * that follow). So before an update from a peer reaches `Y.applyUpdate`, {@link checkUpdate}
 * walks the whole V1 encoding itself, with every count checked against the bytes left (each
 * counted thing takes at least one byte, so no count can exceed them) and a nesting limit: the
 * walk is linear in the update's size, and it ends. It also enforces the shape of webnesia's
 * document: only map entries (`Y.Map.set` / delete) holding JSON-like values, under the roots
 * `schema`, `copies`, `primary` and `t:<cookie>`; no text, arrays, nested types, formats or subdocuments.
 * Anything else is a {@link WebnesiaError} `'bad_update'` and the update is not applied.
 *
 * @module
 */
import * as decoding from 'lib0/decoding'
import { WebnesiaError } from '../errors.js'

/** Largest update accepted from a peer. */
export const MAX_UPDATE = 128 * 1024 * 1024
const MAX_DEPTH = 64

const BIT6 = 32
const BIT7 = 64
const BIT8 = 128
const BITS5 = 31

function bad(message: string): WebnesiaError {
  return new WebnesiaError('bad_update', `malformed update: ${message}`)
}

/** True for the root names webnesia's document uses. */
export function isRootName(name: string): boolean {
  return name === 'schema' || name === 'copies' || name === 'primary' || (name.startsWith('t:') && name.length > 2 && name.length < 300)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

class Walker {
  private readonly d: decoding.Decoder
  constructor(readonly buf: Uint8Array) {
    this.d = decoding.createDecoder(buf)
  }
  get left(): number {
    return this.buf.length - this.d.pos
  }
  uint(): number {
    if (this.left < 1) throw bad('unexpected end')
    const n = decoding.readVarUint(this.d)
    if (!Number.isSafeInteger(n) || n < 0) throw bad('integer out of range')
    return n
  }
  /** A count of things that each take at least `min` bytes. */
  count(min = 1): number {
    const n = this.uint()
    if (n * min > this.left) throw bad('count larger than the update')
    return n
  }
  byte(): number {
    if (this.left < 1) throw bad('unexpected end')
    return decoding.readUint8(this.d)
  }
  string(): string {
    const n = this.count()
    const bytes = decoding.readUint8Array(this.d, n)
    try {
      return utf8.decode(bytes)
    } catch {
      throw bad('invalid utf-8')
    }
  }
  skip(n: number): void {
    if (n > this.left) throw bad('unexpected end')
    this.d.pos += n
  }
  /** lib0's `readAny`, bounded. */
  any(depth: number): unknown {
    if (depth > MAX_DEPTH) throw bad('value nested too deeply')
    const t = this.byte()
    switch (t) {
      case 127: // undefined
      case 126: // null
        return t === 126 ? null : undefined
      case 125: // varint
        if (this.left < 1) throw bad('unexpected end')
        return decoding.readVarInt(this.d)
      case 124: {
        if (this.left < 4) throw bad('unexpected end')
        return decoding.readFloat32(this.d)
      }
      case 123: {
        if (this.left < 8) throw bad('unexpected end')
        return decoding.readFloat64(this.d)
      }
      case 122:
        throw bad('bigint values are not record values')
      case 121:
      case 120:
        return t === 120
      case 119:
        return this.string()
      case 118: {
        const n = this.count(2)
        const o: Record<string, unknown> = {}
        for (let i = 0; i < n; i++) {
          const k = this.string()
          o[k] = this.any(depth + 1)
        }
        return o
      }
      case 117: {
        const n = this.count()
        const a: unknown[] = []
        for (let i = 0; i < n; i++) a.push(this.any(depth + 1))
        return a
      }
      case 116:
        return decoding.readUint8Array(this.d, this.count()).slice()
      default:
        throw bad(`unknown value type ${String(t)}`)
    }
  }
}

/**
 * Checks a remote V1 update (see the module comment). Returns the root names it writes to
 * where the update names them. Throws `bad_update`.
 */
export function checkUpdate(update: Uint8Array, validate?: (root: string, value: unknown) => void): Set<string> {
  if (!(update instanceof Uint8Array)) throw bad('not bytes')
  if (update.length > MAX_UPDATE) throw bad(`larger than ${String(MAX_UPDATE)} bytes`)
  const w = new Walker(update)
  const roots = new Set<string>()
  try {
    const clients = w.count(3)
    for (let c = 0; c < clients; c++) {
      const structs = w.count()
      w.uint() // client
      w.uint() // clock
      for (let s = 0; s < structs; s++) {
        const info = w.byte()
        const ref = info & BITS5
        if (ref === 0 || ref === 10) {
          w.uint() // GC or Skip: a length
          continue
        }
        if (info & BIT8) {
          w.uint()
          w.uint()
        }
        if (info & BIT7) {
          w.uint()
          w.uint()
        }
        let root: string | null = null
        if ((info & (BIT7 | BIT8)) === 0) {
          if (w.uint() !== 1) throw bad('nested types are not allowed')
          root = w.string()
          if (!isRootName(root)) throw bad(`unknown root ${JSON.stringify(root.slice(0, 40))}`)
          roots.add(root)
          if ((info & BIT6) === 0) throw bad('only map entries are allowed')
          w.string() // the map key
        }
        if (ref === 1) {
          w.uint() // ContentDeleted: a length
        } else if (ref === 8) {
          const n = w.count()
          for (let i = 0; i < n; i++) {
            const v = w.any(0)
            checkValue(root, v)
            if (root !== null && validate) validate(root, v)
          }
        } else {
          throw bad(`content type ${String(ref)} is not allowed`)
        }
      }
    }
    const dsClients = w.count(2)
    for (let c = 0; c < dsClients; c++) {
      w.uint()
      const n = w.count(2)
      for (let i = 0; i < n; i++) {
        w.uint()
        w.uint()
      }
    }
  } catch (e) {
    if (e instanceof WebnesiaError) throw e
    throw bad(e instanceof Error ? e.message : String(e))
  }
  if (w.left !== 0) throw bad('trailing bytes')
  return roots
}

/**
 * Decodes one lib0 `writeAny` value from a peer (the body of a primary-table message, wire.ts),
 * bounded like an update: every count checked against the bytes left, nesting limited, no
 * bigints; the whole buffer must be that one value. Throws `bad_update`.
 */
export function checkAny(bytes: Uint8Array): unknown {
  if (bytes.length > MAX_UPDATE) throw bad(`larger than ${String(MAX_UPDATE)} bytes`)
  const w = new Walker(bytes)
  let v: unknown
  try {
    v = w.any(0)
  } catch (e) {
    if (e instanceof WebnesiaError) throw e
    throw bad(e instanceof Error ? e.message : String(e))
  }
  if (w.left !== 0) throw bad('trailing bytes')
  return v
}

/** The shape of a value under a root (when the root is known from the update itself). */
function checkValue(root: string | null, v: unknown): void {
  if (root === null) return
  if (root === 'copies') {
    if (v !== null && typeof v !== 'string') throw bad('a copy entry must be a storage type or null')
  } else if (root === 'schema') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('a schema entry must be an object')
  } else if (root === 'primary') {
    const r = v as { node?: unknown; epoch?: unknown } | null
    if (typeof r !== 'object' || r === null || typeof r.node !== 'string' || r.node.length === 0 || r.node.length > 200) {
      throw bad('a primary entry must be { node, epoch }')
    }
    if (typeof r.epoch !== 'number' || !Number.isSafeInteger(r.epoch) || r.epoch < 1) throw bad('a primary epoch must be a positive integer')
  } else if (!Array.isArray(v) || v.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
    throw bad('a table entry must be an array of records')
  }
}
