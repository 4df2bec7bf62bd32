/**
 * The primary's side of a primary table: it validates and commits what replicas send
 * (messages.ts), as the local committer would a transaction of its own.
 *
 *     PREQ ──► shape check ──► seen this rid? answer again (duplicates, re-sends)
 *          ──► every table's role here, with the request's epoch? else 'moved' (fencing)
 *          ──► one local transaction: read each key (and scanned table), compare by value
 *              ──► differs: 'conflict' ;  same: replay the intents ──► commit (optimistic, retried
 *              when a local commit raced it: the values are compared again)
 *          ──► PREPLY with the outcome and this node's document position after the commit
 *
 * The commit enters the replication document like any local commit and reaches every replica.
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'
import { decodeValue, parseKeyString } from '../replication/codec.js'
import type { PrimaryPort } from '../replication/primary-link.js'
import type { TableDef } from '../schema/table-def.js'
import { importRecord } from '../storage/record.js'
import type { Transaction } from '../txn/transaction.js'
import type { PendingIntent } from '../txn/write-set.js'
import type { PrimaryHost } from './host.js'
import { checkRequest, digest, recordsCanonical, type PrimaryReply, type PrimaryRequest } from './messages.js'

/** Thrown inside the replayed transaction when a read value moved. */
class Stale extends Error {}

/** Answers are remembered per request id (bounded), so a request committed once stays so. */
const REMEMBER = 10_000

/** The primary's request handler of one tab. */
export class PrimaryServer {
  private readonly answers = new Map<string, Promise<PrimaryReply>>()

  constructor(private readonly host: PrimaryHost) {}

  /** A PREQ from `from`: checks it (throws `bad_update` on a malformed body), answers asynchronously. */
  receive(port: PrimaryPort, from: string, id: number, body: unknown): void {
    const req = checkRequest(body)
    const key = `${from}\u0000${req.rid}`
    let answer = this.answers.get(key)
    if (!answer) {
      answer = this.answer(port, req)
      this.answers.set(key, answer)
      if (this.answers.size > REMEMBER) this.answers.delete(this.answers.keys().next().value as string)
      // A refused answer (role moved, an error) may be retried with the same id.
      void answer.then((r) => {
        if (r.ok === 'moved' || r.ok === 'refused') this.answers.delete(key)
      })
    }
    void answer.then((r) => port.send(from, 'preply', id, r))
  }

  private async answer(port: PrimaryPort, req: PrimaryRequest): Promise<PrimaryReply> {
    const { rid } = req
    for (const [t, epoch] of req.epochs) {
      const role = port.role(t)
      if (!role || role.node !== port.self || role.epoch !== epoch) {
        return { rid, ok: 'moved', pos: port.position(), message: `${t}: this node is not its primary at epoch ${String(epoch)}` }
      }
    }
    const writes = req.writes.length > 0
    try {
      await this.host.transaction(async (t) => {
        await this.validate(t, req)
        if (writes) this.replay(t, req)
      })
    } catch (e) {
      if (isStale(e)) return { rid, ok: 'conflict', pos: port.position() }
      const message = e instanceof Error ? e.message : String(e)
      return { rid, ok: 'refused', pos: port.position(), message: message.slice(0, 1000) }
    }
    return { rid, ok: writes ? 'committed' : 'valid', pos: port.position() }
  }

  private async validate(t: Transaction, req: PrimaryRequest): Promise<void> {
    for (const [table, k, seen] of req.reads) {
      const recs = await t.read(table, parseKeyString(k))
      if (recordsCanonical(recs) !== seen) throw new Stale()
    }
    for (const [table, d] of req.scans) {
      if ((await tableDigest(t, table)) !== d) throw new Stale()
    }
  }

  private replay(t: Transaction, req: PrimaryRequest): void {
    const catalog = this.host.node.catalog
    const ws = t.access.writes
    for (const [table, clear, keys] of req.writes) {
      const def = catalog.get(table).def
      if (clear) ws.clear(table)
      for (const [k, intents] of keys) {
        const key = parseKeyString(k)
        for (const i of intents) ws.add(table, key, intentOf(def, i))
      }
    }
  }
}

/** A table's digest as a transaction reads it (every key: a table read, so phantoms count). */
export async function tableDigest(t: Pick<Transaction, 'allKeys' | 'read'>, table: string): Promise<string> {
  const out: string[] = []
  for (const k of await t.allKeys(table)) out.push(recordsCanonical(await t.read(table, k)))
  return digest(out)
}

/** An intent from the wire; its record validated against the table as `t.write` would (throws `bad_type`). */
function intentOf(def: TableDef, i: unknown): PendingIntent {
  const o = i as { w?: unknown; o?: unknown; d?: true; c?: number }
  if (o.d === true) return { d: true }
  if (typeof o.c === 'number') return { c: o.c }
  if (o.w !== undefined) return { w: importRecord(def, decodeValue(o.w)) }
  if (o.o !== undefined) return { o: importRecord(def, decodeValue(o.o)) }
  throw new WebnesiaError('bad_update', `${def.name}: bad intent`)
}

function isStale(e: unknown): boolean {
  if (e instanceof Stale) return true
  const reason = (e as { reason?: unknown } | null)?.reason
  return reason instanceof Stale
}
