/**
 * What a replica and a primary say to each other about a primary table (the bodies of the PREQ
 * and PREPLY frames, src/replication/wire.ts; decoded there with every count bounded, checked
 * here for shape). A body is a plain value (lib0 `writeAny`): records are tagged by the
 * replication codec, keys travel as their key strings.
 *
 *     PREQ   { rid, epochs: [[table, epoch]], reads: [[table, key, canonical]],
 *              scans: [[table, digest]], writes: [[table, clear, [[key, [intent]]]]] }
 *            intent: { w: record } | { d: true } | { o: record } | { c: increment }
 *     PREPLY { rid, ok: 'committed' | 'valid' | 'conflict' | 'moved' | 'refused', pos?, message? }
 *
 * A read is validated by VALUE: the replica sends the canonical form of the records it read, the
 * primary compares it with its own records inside a transaction. Equal values at the commit
 * point make the transaction equivalent to one run there and then (serializable), whatever
 * versions each node gave its copy. A scan (select, fold, iteration, index read, table lock)
 * sends a digest of the whole table.
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'
import type { DocPosition } from '../replication/primary-link.js'
import type { PendingIntent } from '../txn/write-set.js'
import { canonical } from '../storage/term.js'

/** One key read: table, key string, canonical form of the records seen. */
export type WireRead = [string, string, string]
/** One table scanned: table, digest of its records. */
export type WireScan = [string, string]
/** The intents of one key. */
export type WireKeyWrites = [string, unknown[]]
/** The writes of one table. */
export type WireTableWrites = [string, boolean, WireKeyWrites[]]

/** A request to the primary. */
export interface PrimaryRequest {
  /** Request id, unique cluster-wide (a re-sent request is answered, not committed again). */
  rid: string
  epochs: [string, number][]
  reads: WireRead[]
  scans: WireScan[]
  writes: WireTableWrites[]
}

/** The primary's answer. */
export interface PrimaryReply {
  rid: string
  ok: 'committed' | 'valid' | 'conflict' | 'moved' | 'refused'
  pos?: DocPosition
  message?: string
}

function bad(message: string): WebnesiaError {
  return new WebnesiaError('bad_update', `primary message: ${message}`)
}

const isStr = (v: unknown, max = 1 << 20): v is string => typeof v === 'string' && v.length <= max
const isArr = (v: unknown): v is unknown[] => Array.isArray(v)

/** Checks a request body's shape (records are checked against the table when replayed). Throws `bad_update`. */
export function checkRequest(body: unknown): PrimaryRequest {
  const b = body as Partial<Record<keyof PrimaryRequest, unknown>> | null
  if (typeof b !== 'object' || b === null || isArr(b)) throw bad('not an object')
  if (!isStr(b.rid, 200) || b.rid.length === 0) throw bad('rid')
  const { epochs, reads, scans, writes } = b
  if (!isArr(epochs) || !epochs.every((e) => isArr(e) && e.length === 2 && isStr(e[0], 300) && Number.isSafeInteger(e[1]))) throw bad('epochs')
  if (!isArr(reads) || !reads.every((r) => isArr(r) && r.length === 3 && r.every((x) => isStr(x)))) throw bad('reads')
  if (!isArr(scans) || !scans.every((r) => isArr(r) && r.length === 2 && r.every((x) => isStr(x)))) throw bad('scans')
  if (!isArr(writes)) throw bad('writes')
  for (const w of writes) {
    if (!isArr(w) || w.length !== 3 || !isStr(w[0], 300) || typeof w[1] !== 'boolean' || !isArr(w[2])) throw bad('writes')
    for (const kw of w[2]) {
      if (!isArr(kw) || kw.length !== 2 || !isStr(kw[0]) || !isArr(kw[1])) throw bad('key writes')
      for (const i of kw[1]) checkIntent(i)
    }
  }
  return b as PrimaryRequest
}

function checkIntent(i: unknown): void {
  const o = i as Record<string, unknown> | null
  if (typeof o !== 'object' || o === null || isArr(o)) throw bad('intent')
  const keys = Object.keys(o)
  if (keys.length !== 1) throw bad('intent')
  if ('d' in o) {
    if (o['d'] !== true) throw bad('intent')
  } else if ('c' in o) {
    if (typeof o['c'] !== 'number' || !Number.isSafeInteger(o['c'])) throw bad('counter intent')
  } else if ('w' in o || 'o' in o) {
    const r = o['w'] ?? o['o']
    if (typeof r !== 'object' || r === null || isArr(r)) throw bad('intent record')
  } else {
    throw bad('intent')
  }
}

const OKS = new Set(['committed', 'valid', 'conflict', 'moved', 'refused'])

/** Checks a reply body's shape. Throws `bad_update`. */
export function checkReply(body: unknown): PrimaryReply {
  const b = body as { rid?: unknown; ok?: unknown; pos?: unknown; message?: unknown } | null
  if (typeof b !== 'object' || b === null || isArr(b)) throw bad('not an object')
  if (!isStr(b.rid, 200) || typeof b.ok !== 'string' || !OKS.has(b.ok)) throw bad('reply')
  if (b.pos !== undefined) {
    const p = b.pos
    if (typeof p !== 'object' || p === null || !('client' in p) || !('clock' in p) || !Number.isSafeInteger(p.client) || !Number.isSafeInteger(p.clock)) {
      throw bad('position')
    }
  }
  if (b.message !== undefined && !isStr(b.message, 2000)) throw bad('message')
  return b as PrimaryReply
}

/** The wire form of an intent (records tagged by `encode`). */
export function wireIntent(i: PendingIntent, encode: (v: unknown) => unknown): unknown {
  if ('w' in i) return { w: encode(i.w) }
  if ('o' in i) return { o: encode(i.o) }
  if ('d' in i) return { d: true }
  return { c: i.c }
}

/** A digest of a table's records (in key order): cyrb53 over their canonical form. */
export function digest(canonicals: Iterable<string>): string {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (const s of canonicals) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      h1 = Math.imul(h1 ^ c, 2654435761)
      h2 = Math.imul(h2 ^ c, 1597334677)
    }
    h1 = Math.imul(h1 ^ 0x1f, 2654435761)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

/** The canonical form of a key's records, as both sides compare them. */
export function recordsCanonical(recs: readonly unknown[]): string {
  return canonical(recs)
}
