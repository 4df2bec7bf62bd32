/**
 * The hostile-input harness: opens a node with one table of each type and storage, then runs
 * fast-check over batches of malformed calls ({@link anyCase}). Each call must end in a typed
 * WebnesiaError (a rejection; a throw for the synchronous methods) within a time limit; after
 * each call memory is unchanged (every table's records and info, the catalog, the applied LSN),
 * and after each batch the IndexedDB stores are unchanged too.
 */
import fc from 'fast-check'
import { expect } from 'vitest'
import { openDatabase, TransactionAbortedError, WebnesiaError, type Database } from '../../src/index.js'
import { canonical } from '../../src/storage/term.js'
import { uniqueName } from '../node/helpers.js'
import { anyCase, COUNTER, TABLES, type Case, type Ctx } from './cases.js'

/** Per entry point: inputs tried and the slowest refusal (ms). */
export type Stats = Map<string, { n: number; worstMs: number }>

const LIMIT_MS = 5000

export interface Fixture {
  db: Database
  ctx: Ctx
  close(): Promise<void>
}

/** Opens the fixture node. */
export async function openFixture(): Promise<Fixture> {
  const name = uniqueName('hostile')
  const db = await openDatabase({ name })
  for (const [t, storage] of Object.entries(TABLES)) {
    await db.createTable(t, { attributes: ['k', 'a', 'b'], storage, type: t === 's' ? 'set' : t === 'o' ? 'ordered_set' : 'bag', index: ['a'] })
    for (let i = 0; i < 6; i++) await db.dirtyWrite(t, { k: i, a: i % 3, b: [i, { d: new Date(i), bin: new Uint8Array([i]) }] })
  }
  await db.createTable(COUNTER, { attributes: ['k', 'n'] })
  await db.dirtyUpdateCounter(COUNTER, 'x', 3)
  const staleCont = await db.transaction(async (t) => (await t.select('s', [['_', [], ['$_']]], 1))?.cont)
  const dirtyCont = (await db.dirtySelect('s', [['_', [], ['$_']]], 1))?.cont
  let n = 0
  const ctx: Ctx = {
    staleCont,
    forgedCont: () => {
      // A real (live, dirty) continuation's prototype and owner, nothing else: a forgery through internals.
      const real = dirtyCont as object
      return Object.assign(Object.create(Object.getPrototypeOf(real) as object) as object, { owner: (real as { owner: unknown }).owner })
    },
    fresh: () => `fresh_${String(++n)}_${Math.random().toString(36).slice(2, 6)}`,
  }
  await db.dumpLog()
  return { db, ctx, close: () => db.close() }
}

/** Memory as the API shows it, plus the applied LSN: equal before and after every call. */
export async function memoryDump(db: Database): Promise<string> {
  const tables = db.systemInfo('tables') as string[]
  const out: unknown[] = [tables, (db as unknown as { local: { applied: number } }).local.applied]
  for (const t of tables) out.push(t, db.tableInfo(t, 'all'), await db.dirtySelect(t, [['_', [], ['$_']]]))
  return canonical(out)
}

/** Every IndexedDB store of the node (the `tabs` heartbeat rows aside; the log by its last record). */
export async function discDump(db: Database): Promise<string> {
  const idb = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(`webnesia:${db.name}`)
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error ?? new Error('open failed'))
  })
  try {
    const names = [...idb.objectStoreNames].filter((s) => s !== 'tabs').sort()
    const tx = idb.transaction(names, 'readonly')
    const req = <T>(r: IDBRequest<T>): Promise<T> =>
      new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result)
        r.onerror = () => reject(r.error ?? new Error('request failed'))
      })
    const out: unknown[] = [idb.version, names]
    for (const s of names) {
      const store = tx.objectStore(s)
      if (s === 'log') {
        const cur = await req(store.openCursor(null, 'prev'))
        out.push(s, cur ? [cur.key, cur.value] : null)
      } else {
        out.push(s, await req(store.getAllKeys()), await req(store.getAll()))
      }
    }
    return canonical(out)
  } finally {
    idb.close()
  }
}

type Outcome = { kind: 'error'; e: unknown } | { kind: 'ok'; v: unknown } | { kind: 'hang' } | { kind: 'sync-throw'; e: unknown }

async function settle(p: unknown): Promise<Outcome> {
  if (!(p instanceof Promise)) return { kind: 'ok', v: p }
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), LIMIT_MS)))
  try {
    const ok = (v: unknown): Outcome => ({ kind: 'ok', v })
    const error = (e: unknown): Outcome => ({ kind: 'error', e })
    return await Promise.race([p.then(ok, error), hang])
  } finally {
    clearTimeout(timer)
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message.slice(0, 160)}`
  return typeof e
}

/** Runs one case; returns a violation (a string) or null. */
async function runCase(f: Fixture, c: Case, kind: 'transaction' | 'async_dirty'): Promise<string | null> {
  const { db, ctx } = f
  if (c.op) {
    const op = c.op
    let opOutcome: Outcome | null = null
    const activity = db.activity(kind, async (t) => {
      let p: unknown
      try {
        p = op(t)
      } catch (e) {
        opOutcome = { kind: 'sync-throw', e }
        throw e
      }
      opOutcome = await settle(p)
      if (opOutcome.kind === 'error') throw opOutcome.e
    })
    const o = await settle(activity)
    const oo = opOutcome as Outcome | null
    if (oo === null) return `the activity never ran the op (${o.kind})`
    if (oo.kind === 'sync-throw') return `t-op threw synchronously: ${describe(oo.e)}`
    if (oo.kind === 'hang') return 't-op hung'
    if (oo.kind === 'ok') return 't-op accepted the input'
    if (!(oo.e instanceof WebnesiaError)) return `t-op raw error: ${describe(oo.e)}`
    if (o.kind !== 'error' || !(o.e instanceof TransactionAbortedError)) return `activity did not abort: ${o.kind}`
    return null
  }
  const call = c.call as NonNullable<Case['call']>
  if (c.sync) {
    try {
      const v: unknown = call(db, ctx)
      if (typeof v === 'function') (v as () => void)() // an accidental subscription: undo it
      return 'accepted the input'
    } catch (e) {
      return e instanceof WebnesiaError ? null : `raw error: ${describe(e)}`
    }
  }
  let p: unknown
  try {
    p = call(db, ctx)
  } catch (e) {
    return `threw synchronously: ${describe(e)}`
  }
  const o = await settle(p)
  if (o.kind === 'hang') return 'hung'
  if (o.kind === 'ok') {
    if (c.ep === 'join') await db.leave()
    return 'accepted the input'
  }
  if (o.kind === 'error' && !(o.e instanceof WebnesiaError)) return `raw error: ${describe(o.e)}`
  return null
}

/**
 * Runs `runs` fast-check runs of 1–`batch` malformed calls each. Returns the per-entry-point
 * counts; fails (through fast-check, shrunk) on the first violation.
 */
export async function hostileRun(f: Fixture, opts: { runs: number; batch: number; seed: number }, stats: Stats): Promise<void> {
  const mem0 = await memoryDump(f.db)
  const disc0 = await discDump(f.db)
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(anyCase, fc.constantFrom('transaction' as const, 'async_dirty' as const)), { minLength: 1, maxLength: opts.batch }), async (cases) => {
      for (const [c, kind] of cases) {
        const t0 = performance.now()
        const violation = await runCase(f, c, kind)
        const ms = performance.now() - t0
        const s = stats.get(c.ep) ?? { n: 0, worstMs: 0 }
        s.n++
        if (ms > s.worstMs) s.worstMs = ms
        stats.set(c.ep, s)
        expect(violation, `${c.ep}${c.op ? ` in ${kind}` : ''}`).toBeNull()
        expect(await memoryDump(f.db), `memory after ${c.ep}`).toBe(mem0)
      }
      expect(await discDump(f.db), 'disc after the batch').toBe(disc0)
    }),
    { numRuns: opts.runs, seed: opts.seed, endOnFailure: true },
  )
}

/** A printable table of the stats. */
export function report(stats: Stats): string {
  const rows = [...stats.entries()].sort((a, b) => a[0].localeCompare(b[0]))
  const total = rows.reduce((n, [, s]) => n + s.n, 0)
  const worst = rows.reduce((w, [, s]) => Math.max(w, s.worstMs), 0)
  return [
    `${String(total)} malformed inputs over ${String(rows.length)} entry points; worst refusal ${worst.toFixed(1)} ms`,
    ...rows.map(([ep, s]) => `  ${ep.padEnd(24)} ${String(s.n).padStart(6)}  worst ${s.worstMs.toFixed(1)} ms`),
  ].join('\n')
}
