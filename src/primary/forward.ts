/**
 * A replica's side of a primary table: the transaction ran here on the local copy; its reads of
 * the primary's tables (by value: messages.ts) and its writes go to the primary, which commits
 * or refuses them. Requests are re-sent until answered (the fault hook may drop frames; the
 * primary answers a request id it has seen again instead of committing it twice).
 *
 * @module
 */
import { encodeValue, keyString } from '../replication/codec.js'
import type { PrimaryPort } from '../replication/primary-link.js'
import type { LocalNode } from '../node.js'
import type { RoutedCommit } from '../txn/route.js'
import { checkReply, digest, recordsCanonical, wireIntent, type PrimaryReply, type PrimaryRequest, type WireRead, type WireTableWrites } from './messages.js'

/** How often an unanswered request is sent again. */
const RESEND_MS = 250

let rids = 0

/** A request id no other request of any node has (node id, time, counter). */
export function newRid(self: string): string {
  rids = (rids + 1) % 0x7fffffff
  return `${self}:${Date.now().toString(36)}:${rids.toString(36)}:${Math.random().toString(36).slice(2, 8)}`
}

/**
 * Builds the request for a transaction: its reads of `tables` (values read again from memory,
 * then checked unchanged) and its writes. Null when the transaction went stale meanwhile.
 */
export async function buildRequest(node: LocalNode, c: RoutedCommit, tables: ReadonlyMap<string, number>, rid: string): Promise<PrimaryRequest | null> {
  const reads: WireRead[] = []
  const seen = new Set<string>()
  for (const r of c.reads?.keys ?? []) {
    if (!tables.has(r.t)) continue
    const k = keyString(r.key)
    const id = `${r.t}\u0000${k}`
    if (seen.has(id)) continue
    seen.add(id)
    reads.push([r.t, k, recordsCanonical(await node.catalog.get(r.t).reader.read(r.key))])
  }
  const scans: [string, string][] = []
  for (const t of c.reads?.tables.keys() ?? []) {
    if (!tables.has(t)) continue
    const reader = node.catalog.get(t).reader
    const out: string[] = []
    for (const k of await reader.allKeys()) out.push(recordsCanonical(await reader.read(k)))
    scans.push([t, digest(out)])
  }
  const writes: WireTableWrites[] = []
  for (const [t, tw] of c.writes.tables) {
    writes.push([t, tw.clear, [...tw.keys.values()].map((kw) => [keyString(kw.key), kw.intents.map((i) => wireIntent(i, encodeValue))])])
  }
  // The values were read after the function ran: they are the ones it saw only if nothing moved.
  if (!c.stillValid()) return null
  return { rid, epochs: [...tables], reads, scans, writes }
}

/** The requests of one tab waiting for the primary's answer. */
export class Requests {
  private next = 0
  private readonly waiting = new Map<number, { node: string; rid: string; resolve: (r: PrimaryReply) => void }>()

  /** Sends `req` to `primary` until it answers (the reply) or `timeoutMs` passes (null). */
  send(port: PrimaryPort, primary: string, req: PrimaryRequest, timeoutMs: number): Promise<PrimaryReply | null> {
    const id = (this.next = (this.next + 1) % 0x3fffffff)
    return new Promise((resolve) => {
      const finish = (r: PrimaryReply | null): void => {
        clearInterval(again)
        clearTimeout(timer)
        this.waiting.delete(id)
        resolve(r)
      }
      this.waiting.set(id, { node: primary, rid: req.rid, resolve: finish })
      const again = setInterval(() => {
        port.send(primary, 'preq', id, req)
      }, RESEND_MS)
      const timer = setTimeout(() => {
        finish(null)
      }, timeoutMs)
      port.send(primary, 'preq', id, req)
    })
  }

  /** A PREPLY from `from` (throws `bad_update` on a malformed body; a stray answer is ignored). */
  reply(from: string, id: number, body: unknown): void {
    const r = checkReply(body)
    const w = this.waiting.get(id)
    if (w?.node !== from || w.rid !== r.rid) return
    w.resolve(r)
  }
}
