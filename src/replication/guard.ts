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
import * as encoding from 'lib0/encoding'
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
  get pos(): number {
    return this.d.pos
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

/** Where an item of the document lives: its root and map key; 'gc' for a collected struct. */
export type ItemPlace = { root: string; key: string | null } | 'gc'

/** The local document, as {@link inspectUpdate} sees it. */
export interface DocView {
  /** Where the item at (client, clock) is; null when the document does not have it. */
  place(client: number, clock: number): ItemPlace | null
  /** The document's next clock of a client (0 when it has none of its structs). */
  state(client: number): number
}

/** What {@link inspectUpdate} found. */
export interface UpdateInfo {
  /** Root names the update writes to. */
  roots: Set<string>
  /**
   * True when some item's origin is neither in the update nor in the document, or some client's
   * structs start past the document's clock of that client (a relayed update that overtook the
   * one it follows). Yjs would keep them pending and integrate them later, unchecked (the checks
   * here see the document as it is now): do not apply it, ask the peer for what is missing.
   */
  unresolved: boolean
  /**
   * The update to apply: the input itself, or, when its delete set names clocks that neither
   * the document nor the update has, a copy whose delete set leaves them out. Yjs would keep
   * such deletes pending, in every later `encodeStateAsUpdate`, so on to every peer, with no
   * bound; crafted ones there have made the whole state undecodable ("Unexpected case", the
   * remote fuzz, seed 90211). A peer only deletes what it has, and its SYNC2 carries its whole
   * delete set with the structs this node lacks: a delete left out here comes back with them.
   */
  update: Uint8Array
}

interface Parsed {
  client: number
  clock: number
  len: number
  place: ItemPlace | null
  origin: [number, number] | null
  values: unknown[] | null
}

/**
 * Checks a remote V1 update (see the module comment). Returns the root names it writes to
 * where the update names them. Throws `bad_update`.
 */
export function checkUpdate(update: Uint8Array, validate?: (root: string, value: unknown, key: string | null) => void): Set<string> {
  return inspectUpdate(update, validate).roots
}

/**
 * {@link checkUpdate}, and also for the items that name no parent (an overwrite of a map key
 * names the entry it replaces, its origin): their root and key are found through their origin,
 * in `doc` (the local document) where it has that clock, else in the update, so their values are
 * checked under the key Yjs will put them under; with `doc`, also the gaps and the deletes of
 * clocks it does not have ({@link UpdateInfo}).
 * Throws `bad_update`.
 */
export function inspectUpdate(
  update: Uint8Array,
  validate?: (root: string, value: unknown, key: string | null) => void,
  doc?: DocView,
): UpdateInfo {
  if (!(update instanceof Uint8Array)) throw bad('not bytes')
  if (update.length > MAX_UPDATE) throw bad(`larger than ${String(MAX_UPDATE)} bytes`)
  const w = new Walker(update)
  const roots = new Set<string>()
  const items: Parsed[] = []
  const sections = new Set<number>()
  // Per client: [first clock, end clock] of the update's structs, and the end of the last Skip
  // that structs follow (a gap inside the update, as Y.mergeUpdates writes them).
  const spans = new Map<number, [number, number]>()
  const skips = new Map<number, number>()
  let dsStart = 0
  const ds: [number, [number, number][]][] = []
  try {
    const clients = w.count(3)
    for (let c = 0; c < clients; c++) {
      const structs = w.count()
      const client = w.uint()
      if (sections.has(client)) throw bad('a client listed twice')
      sections.add(client)
      let clock = w.uint()
      const first = clock
      for (let s = 0; s < structs; s++) {
        const info = w.byte()
        const ref = info & BITS5
        if (ref === 0 || ref === 10) {
          const start = clock
          clock += w.uint() // GC or Skip: a length
          // Yjs would take a GC that ends past 2^53: that client's clocks would no longer be exact.
          if (!Number.isSafeInteger(clock)) throw bad('clock out of range')
          if (ref === 10 && s < structs - 1) skips.set(client, clock)
          // A GC run is a place an origin can name: Yjs turns an item after it into GC too.
          const len = clock - start
          if (ref === 0 && len > 0) items.push({ client, clock: start, len, place: 'gc', origin: null, values: null })
          continue
        }
        let origin: [number, number] | null = null
        if (info & BIT8) origin = [w.uint(), w.uint()]
        if (info & BIT7) {
          const right: [number, number] = [w.uint(), w.uint()]
          origin ??= right
        }
        let place: ItemPlace | null = null
        if ((info & (BIT7 | BIT8)) === 0) {
          if (w.uint() !== 1) throw bad('nested types are not allowed')
          const root = w.string()
          if (!isRootName(root)) throw bad(`unknown root ${JSON.stringify(root.slice(0, 40))}`)
          roots.add(root)
          if ((info & BIT6) === 0) throw bad('only map entries are allowed')
          place = { root, key: w.string() }
        }
        let len: number
        let values: unknown[] | null = null
        if (ref === 1) {
          len = w.uint() // ContentDeleted: a length
        } else if (ref === 8) {
          const n = w.count()
          values = []
          for (let i = 0; i < n; i++) values.push(w.any(0))
          len = n
        } else {
          throw bad(`content type ${String(ref)} is not allowed`)
        }
        if (len < 1) throw bad('an empty item')
        items.push({ client, clock, len, place, origin, values })
        clock += len
        if (!Number.isSafeInteger(clock)) throw bad('clock out of range')
      }
      if (structs > 0) spans.set(client, [first, clock])
    }
    dsStart = w.pos
    const dsClients = w.count(2)
    for (let c = 0; c < dsClients; c++) {
      const ranges: [number, number][] = []
      ds.push([w.uint(), ranges])
      const n = w.count(2)
      for (let i = 0; i < n; i++) {
        const clock = w.uint()
        // Yjs fails on an empty range half-way through applying the update (after its structs).
        const len = w.uint()
        if (len < 1 || !Number.isSafeInteger(clock + len)) throw bad('a bad deleted range')
        ranges.push([clock, len])
      }
    }
  } catch (e) {
    if (e instanceof WebnesiaError) throw e
    throw bad(e instanceof Error ? e.message : String(e))
  }
  if (w.left !== 0) throw bad('trailing bytes')
  let unresolved = placeItems(items, doc)
  let out = update
  if (doc) {
    for (const [client, [first]] of spans) if (first > doc.state(client) || (skips.get(client) ?? 0) > doc.state(client)) unresolved = true
    // Known: the document's clocks, and the update's own structs when they follow on from them.
    out = withKnownDeletes(update, dsStart, ds, (client) => {
      const state = doc.state(client)
      const span = spans.get(client)
      return span && span[0] <= state ? Math.max(state, span[1]) : state
    })
  }
  // The schema's entries first: a table the update creates is known when its records are checked.
  for (const schemaFirst of [true, false]) {
    for (const it of items) {
      const place = it.place
      if (it.values === null || place === null || place === 'gc' || (place.root === 'schema') !== schemaFirst) continue
      for (const v of it.values) {
        checkValue(place.root, v)
        if (validate) validate(place.root, v, place.key)
      }
    }
  }
  return { roots, unresolved, update: out }
}

/**
 * The update with its delete set cut to the clocks below `known(client)`: itself when nothing is
 * cut, else its structs' bytes followed by the delete set re-encoded (V1: client count, then per
 * client its id, range count and ranges as clock, length).
 */
function withKnownDeletes(update: Uint8Array, dsStart: number, ds: [number, [number, number][]][], known: (client: number) => number): Uint8Array {
  let cut = false
  const kept: [number, [number, number][]][] = []
  for (const [client, ranges] of ds) {
    const end = known(client)
    const mine: [number, number][] = []
    for (const [clock, len] of ranges) {
      if (clock + len <= end) mine.push([clock, len])
      else {
        cut = true
        if (clock < end) mine.push([clock, end - clock])
      }
    }
    if (mine.length > 0) kept.push([client, mine])
  }
  if (!cut) return update
  const e = encoding.createEncoder()
  encoding.writeUint8Array(e, update.subarray(0, dsStart))
  encoding.writeVarUint(e, kept.length)
  for (const [client, ranges] of kept) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, ranges.length)
    for (const [clock, len] of ranges) {
      encoding.writeVarUint(e, clock)
      encoding.writeVarUint(e, len)
    }
  }
  return encoding.toUint8Array(e)
}

/** Finds the place of every item without one through its origin; true when some stay unknown. */
function placeItems(items: Parsed[], doc?: DocView): boolean {
  if (!doc) return false
  const byClient = new Map<number, Parsed[]>()
  for (const it of items) {
    let l = byClient.get(it.client)
    if (!l) byClient.set(it.client, (l = []))
    l.push(it)
  }
  for (const l of byClient.values()) l.sort((a, b) => a.clock - b.clock)
  const inUpdate = (client: number, clock: number): Parsed | null => {
    const l = byClient.get(client)
    if (!l) return null
    let lo = 0
    let hi = l.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const it = l[mid] as Parsed
      if (clock < it.clock) hi = mid - 1
      else if (clock >= it.clock + it.len) lo = mid + 1
      else return it
    }
    return null
  }
  let unresolved = false
  for (const start of items) {
    if (start.place !== null) continue
    // Follow the origins (each step to a different item; a cycle ends as unknown).
    const chain: Parsed[] = []
    const seen = new Set<Parsed>()
    let at: Parsed = start
    let place: ItemPlace | null = null
    for (;;) {
      chain.push(at)
      seen.add(at)
      const o = at.origin
      if (o === null) break
      // The document's item first: where it has that clock, Yjs skips the update's struct there
      // (whatever it claims) and integrates this item under the document's one.
      const known = doc.place(o[0], o[1])
      if (known !== null) {
        place = known
        break
      }
      const next = inUpdate(o[0], o[1])
      if (next === null) break
      if (next.place !== null) {
        place = next.place
        break
      }
      if (seen.has(next)) break
      at = next
    }
    if (place === null) unresolved = true
    for (const it of chain) it.place = place
  }
  return unresolved
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
