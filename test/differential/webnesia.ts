/**
 * Runs a sequence on webnesia (a fresh node in Node with fake-indexeddb, through the public API
 * only) and reports each op's outcome in the canonical JSON form of `mnesia-runner.escript`:
 * records as `[{a: table}, ...values]`, `undefined` (end of table) as null, `'EXIT'` as the atom,
 * writes and deletes as `{a: 'ok'}`.
 *
 * @module
 */
import { openDatabase, TransactionAbortedError, WebnesiaError, type Database, type Transaction } from '../../src/index.js'
import type { Outcome } from './mnesia.js'
import { tableOf, type BasicOp, type Op, type Sequence, type TableSpec, type Val } from './ops.js'

const OK = { a: 'ok' }

let names = 0

/** A record object from its values in attribute order. */
function recObj(t: TableSpec, rec: readonly Val[]): Record<string, unknown> {
  return Object.fromEntries(t.attributes.map((a, i) => [a, rec[i]]))
}

/** Canonical JSON of a webnesia result (records of table `t`). */
export function canon(t: TableSpec, v: unknown): unknown {
  if (v === undefined || v === null) return null
  if (v === 'EXIT') return { a: 'EXIT' }
  if (Array.isArray(v)) return v.map((x) => canon(t, x))
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    return [{ a: t.name }, ...t.attributes.map((a) => canon(t, o[a]))]
  }
  return v
}

/** The one context-independent step: a `Transaction`, or the database's dirty operations. */
type Ctx = { kind: 'dirty'; db: Database } | { kind: 'tx'; t: Transaction }

async function basic(seq: Sequence, ctx: Ctx, o: BasicOp): Promise<unknown> {
  const t = tableOf(seq, o.tab)
  const c = (v: unknown): unknown => canon(t, v)
  const tx = ctx.kind === 'tx' ? ctx.t : undefined
  const db = ctx.kind === 'dirty' ? ctx.db : undefined
  switch (o.op) {
    case 'write':
      await (tx ? tx.write(o.tab, recObj(t, o.rec)) : db?.dirtyWrite(o.tab, recObj(t, o.rec)))
      return OK
    case 'delete':
      await (tx ? tx.delete(o.tab, o.key) : db?.dirtyDelete(o.tab, o.key))
      return OK
    case 'delete_object':
      await (tx ? tx.deleteObject(o.tab, recObj(t, o.rec)) : db?.dirtyDeleteObject(o.tab, recObj(t, o.rec)))
      return OK
    case 'read':
      return c(tx ? await tx.read(o.tab, o.key) : await db?.dirtyRead(o.tab, o.key))
    case 'match_object':
      return c(tx ? await tx.matchObject(o.tab, o.pattern) : await db?.dirtyMatchObject(o.tab, o.pattern))
    case 'select':
      return c(tx ? await tx.select(o.tab, o.spec) : await db?.dirtySelect(o.tab, o.spec))
    case 'first':
      return c(tx ? await tx.first(o.tab) : await db?.dirtyFirst(o.tab))
    case 'last':
      return c(tx ? await tx.last(o.tab) : await db?.dirtyLast(o.tab))
    case 'next':
      return c(tx ? await tx.next(o.tab, o.key) : await db?.dirtyNext(o.tab, o.key))
    case 'prev':
      return c(tx ? await tx.prev(o.tab, o.key) : await db?.dirtyPrev(o.tab, o.key))
    case 'walk_fwd':
    case 'walk_bwd': {
      const fwd = o.op === 'walk_fwd'
      const keys: unknown[] = []
      const step = (k: Val): Promise<unknown> =>
        tx ? (fwd ? tx.next(o.tab, k) : tx.prev(o.tab, k)) : fwd ? (db as Database).dirtyNext(o.tab, k) : (db as Database).dirtyPrev(o.tab, k)
      let k: unknown = tx ? await (fwd ? tx.first(o.tab) : tx.last(o.tab)) : await (fwd ? db?.dirtyFirst(o.tab) : db?.dirtyLast(o.tab))
      while (k !== undefined) {
        if (keys.length >= 10_000) throw new Error('walk does not end')
        keys.push(k)
        k = await step(k as Val)
      }
      return c(keys)
    }
    case 'all_keys':
      return c(tx ? await tx.allKeys(o.tab) : await db?.dirtyAllKeys(o.tab))
    case 'index_read':
      return c(tx ? await tx.indexRead(o.tab, o.value, o.attr) : await db?.dirtyIndexRead(o.tab, o.value, o.attr))
    case 'index_match_object':
      return c(tx ? await tx.indexMatchObject(o.tab, o.pattern, o.attr) : await db?.dirtyIndexMatchObject(o.tab, o.pattern, o.attr))
  }
}

async function chunks(db: Database, tab: string, spec: unknown, n: number): Promise<unknown[]> {
  const out: unknown[] = []
  let chunk = await db.dirtySelect(tab, spec, n)
  while (chunk !== null) {
    out.push(...chunk.results)
    chunk = await db.selectContinue(chunk.cont)
  }
  return out
}

async function txn(seq: Sequence, db: Database, ops: readonly BasicOp[], abort: string | undefined): Promise<unknown> {
  let results: Outcome[] = []
  try {
    await db.transaction(async (t) => {
      results = []
      for (const o of ops) results.push({ r: await basic(seq, { kind: 'tx', t }, o) })
      if (abort !== undefined) t.abort(abort)
    })
    return { tx: 'atomic', reason: null, ops: results }
  } catch (e) {
    if (!(e instanceof TransactionAbortedError)) throw e
    const reason = typeof e.reason === 'string' ? e.reason : 'error'
    return { tx: 'aborted', reason, ops: results }
  }
}

async function step(seq: Sequence, db: Database, o: Op): Promise<unknown> {
  switch (o.op) {
    case 'select_chunked':
      return canon(tableOf(seq, o.tab), await chunks(db, o.tab, o.spec, o.n))
    case 'update_counter':
      return await db.dirtyUpdateCounter(o.tab, o.key, o.incr)
    case 'clear':
      await db.clearTable(o.tab)
      return OK
    case 'fold': {
      const recs = await db.asyncDirty((t) => t.foldl((r, acc: unknown[]) => [...acc, r], [] as unknown[], o.tab))
      return canon(tableOf(seq, o.tab), recs)
    }
    case 'txn':
      return txn(seq, db, o.ops, o.abort)
    default:
      return basic(seq, { kind: 'dirty', db }, o)
  }
}

/**
 * The outcome of every op of `seq` on a fresh webnesia node. Errors that are not a
 * `WebnesiaError` are bugs of their own and are reported as such (never taken as "both failed").
 * `stop(i, outcome)` returning true ends the run after op i.
 */
export async function runOnWebnesia(seq: Sequence, stop?: (index: number, out: Outcome) => boolean): Promise<Outcome[]> {
  const db = await openDatabase({ name: `diff-${String(seq.seed)}-${String(++names)}` })
  try {
    for (const t of seq.tables) {
      await db.createTable(t.name, { attributes: [...t.attributes], type: t.type, storage: t.storage, index: [...t.index] })
    }
    const out: Outcome[] = []
    for (const o of seq.ops) {
      try {
        out.push({ r: await step(seq, db, o) })
      } catch (e) {
        out.push({ e: e instanceof WebnesiaError ? `${e.code}: ${e.message}` : `NOT A WebnesiaError: ${String(e)}` })
      }
      if (stop?.(out.length - 1, out[out.length - 1] as Outcome)) break
    }
    return out
  } finally {
    await db.close()
  }
}
