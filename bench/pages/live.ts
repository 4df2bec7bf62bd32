/**
 * LIVE: live queries beside Dexie's `liveQuery` (Dexie 4), on the same workload.
 *
 * - Latency: a query reads record 0; a commit writes it; the time from the commit call to the
 *   query's new value, p50 / p99, sequential (each commit waits for its value). Measured with the
 *   query in the committing handle, and in a second handle of the node opened in the same page:
 *   the cross-tab path (the commit reaches it over BroadcastChannel and the log, as in another
 *   tab; the library's handles in one page talk as tabs do). Dexie's instances in one page share
 *   its in-page `storagemutated` event, which is its cross-tab path minus the BroadcastChannel hop.
 * - Cost per commit with N live queries open (N = 1, 10, 100): query j reads record j; C commits,
 *   commit i writes record i % N; timed until every query holds the final values. Each figure is
 *   ms per commit; the ratio to the same commits with no query open is the cost of following.
 * - Unrelated commits: a query on record 0 while 1,000 commits write other records: how many
 *   times the query function ran again (the library re-runs only on a change to what it read).
 *
 * How Dexie's liveQuery works (dexie/src/live-query): the querier runs in a zone that records the
 * key ranges it read per table and index; every committed transaction fires `storagemutated` with
 * the ranges it wrote (in-page at once, other tabs over BroadcastChannel), and a query whose ranges
 * overlap re-runs. Dexie 4 also keeps a query cache with optimistic updates, so a query may see a
 * write before its transaction commits; the library's query only ever sees committed states.
 * Both libraries' commits here use strict durability.
 */
import Dexie, { liveQuery, type Table } from 'dexie'
import { openDatabase, type Database } from '../../src/index.js'
import { check, deleteIdb, dropLib, now, quantile, uniqueName } from './common.js'

interface Row {
  [attr: string]: unknown
  id: number
  v: number
}

/** Resolves when `get()` satisfies `ok`, checked after each emission (`wake`). */
class Waiter {
  private pending: { ok: () => boolean; resolve: () => void } | null = null
  wake(): void {
    if (this.pending?.ok()) {
      const p = this.pending
      this.pending = null
      p.resolve()
    }
  }
  until(ok: () => boolean): Promise<void> {
    if (ok()) return Promise.resolve()
    return new Promise((resolve) => (this.pending = { ok, resolve }))
  }
}

async function libNode(): Promise<{ a: Database; b: Database; name: string }> {
  const name = uniqueName('live')
  const a = await openDatabase({ name })
  await a.createTable('rows', { attributes: ['id', 'v'] })
  const b = await openDatabase({ name })
  await b.waitForTables(['rows'], 10_000)
  return { a, b, name }
}

async function dexieDb(): Promise<{ a: Dexie; b: Dexie; ta: Table<Row, number> }> {
  const name = uniqueName('live-dexie')
  const open = async (): Promise<Dexie> => {
    const db = new Dexie(name, { chromeTransactionDurability: 'strict' })
    db.version(1).stores({ rows: 'id' })
    await db.open()
    return db
  }
  const a = await open()
  const b = await open()
  return { a, b, ta: a.table<Row, number>('rows') }
}

async function dropDexieBoth(a: Dexie, b: Dexie): Promise<void> {
  b.close()
  a.close()
  await deleteIdb(a.name)
}

/** Latency of commit → new value, sequential. `same`: the query in the committing handle. */
export async function liveLatency(p: { pings: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const same of [true, false]) {
    const tag = same ? 'same' : 'cross'
    {
      const { a, b } = await libNode()
      const qdb = same ? a : b
      const w = new Waiter()
      let seen = -1
      const off = qdb.liveQuery(async (t) => ((await t.read<Row>('rows', 0))[0]?.v ?? -1)).subscribe((v) => {
        seen = v
        w.wake()
      })
      await w.until(() => seen === -1)
      const ms: number[] = []
      for (let i = 0; i < p.pings; i++) {
        const t0 = now()
        await a.transaction((t) => t.write('rows', { id: 0, v: i }))
        await w.until(() => seen === i)
        ms.push(now() - t0)
      }
      off()
      out[`lib.${tag}.p50`] = quantile(ms, 0.5)
      out[`lib.${tag}.p99`] = quantile(ms, 0.99)
      await b.close()
      await dropLib(a)
    }
    {
      const { a, b, ta } = await dexieDb()
      const qdb = same ? a : b
      const w = new Waiter()
      let seen = -1
      const sub = liveQuery(async () => (await qdb.table<Row, number>('rows').get(0))?.v ?? -1).subscribe((v) => {
        seen = v
        w.wake()
      })
      await w.until(() => seen === -1)
      const ms: number[] = []
      for (let i = 0; i < p.pings; i++) {
        const t0 = now()
        await ta.put({ id: 0, v: i })
        await w.until(() => seen === i)
        ms.push(now() - t0)
      }
      sub.unsubscribe()
      out[`dexie.${tag}.p50`] = quantile(ms, 0.5)
      out[`dexie.${tag}.p99`] = quantile(ms, 0.99)
      await dropDexieBoth(a, b)
    }
  }
  return out
}

/** ms per commit with `n` live queries open (0: none), until every query is current. */
export async function liveFanout(p: { queries: readonly number[]; commits: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const n of [0, ...p.queries]) {
    const keys = Math.max(n, 1)
    {
      const { a, b } = await libNode()
      const seen = new Array<number>(n).fill(-1)
      const w = new Waiter()
      const offs = Array.from({ length: n }, (_, j) =>
        a.liveQuery(async (t) => ((await t.read<Row>('rows', j))[0]?.v ?? -1)).subscribe((v) => {
          seen[j] = v
          w.wake()
        }),
      )
      await w.until(() => seen.every((v) => v === -1))
      const t0 = now()
      for (let i = 0; i < p.commits; i++) await a.transaction((t) => t.write('rows', { id: i % keys, v: i }))
      await w.until(() => seen.every((v, j) => v === finalOf(j, keys, p.commits)))
      out[`lib.q${String(n)}.msPerCommit`] = (now() - t0) / p.commits
      check(seen.every((v, j) => v === finalOf(j, keys, p.commits)), 'every query current')
      for (const off of offs) off()
      await b.close()
      await dropLib(a)
    }
    {
      const { a, b, ta } = await dexieDb()
      const seen = new Array<number>(n).fill(-1)
      const w = new Waiter()
      const subs = Array.from({ length: n }, (_, j) =>
        liveQuery(async () => (await ta.get(j))?.v ?? -1).subscribe((v) => {
          seen[j] = v
          w.wake()
        }),
      )
      await w.until(() => seen.every((v) => v === -1))
      const t0 = now()
      for (let i = 0; i < p.commits; i++) await ta.put({ id: i % keys, v: i })
      await w.until(() => seen.every((v, j) => v === finalOf(j, keys, p.commits)))
      out[`dexie.q${String(n)}.msPerCommit`] = (now() - t0) / p.commits
      for (const s of subs) s.unsubscribe()
      await dropDexieBoth(a, b)
    }
  }
  return out
}

/** The value record `j` holds after `commits` commits writing record `i % keys` = i. */
function finalOf(j: number, keys: number, commits: number): number {
  let last = -1
  for (let i = j; i < commits; i += keys) last = i
  return last
}

/** Re-runs of a query on record 0 per 1,000 commits to other records. */
export async function liveUnrelated(p: { commits: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  {
    const { a, b } = await libNode()
    const q = a.liveQuery(async (t) => ((await t.read<Row>('rows', 0))[0]?.v ?? -1))
    const off = q.subscribe(() => undefined)
    await q.idle()
    const before = q.runs
    for (let i = 1; i <= p.commits; i++) await a.transaction((t) => t.write('rows', { id: i, v: i }))
    await q.idle()
    out['lib.rerunsPer1000'] = ((q.runs - before) * 1000) / p.commits
    off()
    await b.close()
    await dropLib(a)
  }
  {
    const { a, b, ta } = await dexieDb()
    let runs = 0
    let seen = -2
    const w = new Waiter()
    const sub = liveQuery(async () => {
      runs++
      return (await ta.get(0))?.v ?? -1
    }).subscribe((v) => {
      seen = v
      w.wake()
    })
    await w.until(() => seen === -1)
    const before = runs
    for (let i = 1; i <= p.commits; i++) await ta.put({ id: i, v: i })
    // A last write to record 0: once the query shows it, the re-runs the others caused are done.
    await ta.put({ id: 0, v: 0 })
    await w.until(() => seen === 0)
    out['dexie.rerunsPer1000'] = (Math.max(0, runs - before - 1) * 1000) / p.commits
    sub.unsubscribe()
    await dropDexieBoth(a, b)
  }
  return out
}
