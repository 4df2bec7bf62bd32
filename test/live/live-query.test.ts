/**
 * Live queries (API.md, "Live queries"): what re-runs them (their read set, key- or table-level),
 * what they emit (consistent snapshots, in commit order, never a deep-equal repeat, coalesced
 * bursts ending on the final state), errors, the store and observable contracts, and commits from
 * this tab, another tab and a peer.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { filter, firstValueFrom, from } from 'rxjs'
import { openDatabase, DatabaseClosedError, NoSuchTableError, WebnesiaError, type Database, type Transaction } from '../../src/index.js'
import { fresh, uniqueName } from '../node/helpers.js'
import { Network, quiet } from '../replication/network.js'
import { Recorder } from './helpers.js'

type Stock = { sku: string; count: number }

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function shop(handles = 1): Promise<Database[]> {
  const dbs = await fresh(handles)
  open.push(...dbs)
  const [db] = dbs as [Database]
  await db.createTable('stock', { attributes: ['sku', 'count'], index: ['count'] })
  await db.createTable('other', { attributes: ['id', 'v'] })
  await db.dirtyWrite('stock', { sku: 'apple', count: 1 })
  await db.dirtyWrite('stock', { sku: 'pear', count: 2 })
  for (const d of dbs) await d.waitForTables(['stock', 'other'])
  return dbs
}

const countOf = async (t: Transaction, sku: string): Promise<number | undefined> => (await t.read<Stock>('stock', sku))[0]?.count

it('runs at subscribe, then again after a commit that changed a key it read', async () => {
  const [db] = (await shop()) as [Database]
  const q = db.liveQuery((t) => countOf(t, 'apple'))
  const r = new Recorder(q)
  expect(await r.until((v) => v === 1)).toBe(1)
  await db.dirtyWrite('stock', { sku: 'apple', count: 5 })
  await r.until((v) => v === 5)
  await db.transaction((t) => t.write('stock', { sku: 'apple', count: 6 }))
  await r.until((v) => v === 6)
  expect(r.values).toEqual([1, 5, 6])
  expect(q.runs).toBe(3)
  r.off()
})

it('1,000 commits that touched nothing it read re-run it 0 times (key-level read set)', async () => {
  const [db] = (await shop()) as [Database]
  const q = db.liveQuery((t) => countOf(t, 'apple'))
  const r = new Recorder(q)
  await r.until((v) => v === 1)
  for (let i = 0; i < 500; i++) await db.dirtyWrite('stock', { sku: `other-${String(i)}`, count: i })
  for (let i = 0; i < 500; i++) await db.dirtyWrite('other', { id: i, v: i })
  await q.idle()
  expect(q.runs).toBe(1)
  // The query is still live: the next commit it read re-runs it, once.
  await db.dirtyWrite('stock', { sku: 'apple', count: 2 })
  await r.until((v) => v === 2)
  expect(q.runs).toBe(2)
  r.off()
})

describe.each<[string, (t: Transaction) => Promise<unknown>]>([
  ['a scan (matchObject)', (t) => t.matchObject('stock', { sku: '_' })],
  ['a select', (t) => t.select('stock', [[{ sku: '$1', count: '$2' }, [['>', '$2', 0]], ['$1']]])],
  ['a fold', (t) => t.foldl<number, Stock>((rec, n) => n + rec.count, 0, 'stock')],
  ['an index read', (t) => t.indexRead('stock', 1, 'count')],
  ['iteration (first/next)', async (t) => [await t.first('stock'), await t.next('stock', 'apple')]],
  ['allKeys', (t) => t.allKeys('stock')],
])('%s reads the whole table', (_name, fn) => {
  it('re-runs on a commit to any key of that table, not on another table', async () => {
    const [db] = (await shop()) as [Database]
    const q = db.liveQuery(fn)
    const r = new Recorder(q)
    await r.until(() => true)
    for (let i = 0; i < 50; i++) await db.dirtyWrite('other', { id: i, v: i })
    await q.idle()
    expect(q.runs).toBe(1)
    await db.dirtyWrite('stock', { sku: 'aaa', count: 1 })
    await r.until(() => r.values.length === 2)
    expect(q.runs).toBe(2)
    r.off()
  })
})

it('a re-run whose result is deep-equal to the last value emits nothing', async () => {
  const [db] = (await shop()) as [Database]
  const q = db.liveQuery(async (t) => ({ apple: await countOf(t, 'apple'), at: [new Date(0)] }))
  const r = new Recorder(q)
  await r.until(() => true)
  // A set write of an identical record is a change (Mnesia): it re-runs the query, equal result.
  await db.dirtyWrite('stock', { sku: 'apple', count: 1 })
  await q.idle()
  expect(q.runs).toBe(2)
  expect(r.values.length).toBe(1)
  await db.dirtyWrite('stock', { sku: 'apple', count: 3 })
  await r.until((v) => v.apple === 3)
  expect(r.values).toEqual([
    { apple: 1, at: [new Date(0)] },
    { apple: 3, at: [new Date(0)] },
  ])
  r.off()
})

it('a burst of 1,000 commits gives far fewer runs and ends on the final state', async () => {
  const [db] = (await shop()) as [Database]
  const q = db.liveQuery((t) => countOf(t, 'apple'))
  const r = new Recorder(q)
  await r.until((v) => v === 1)
  for (let i = 1; i <= 1000; i++) await db.dirtyWrite('stock', { sku: 'apple', count: 1000 + i })
  await r.until((v) => v === 2000)
  expect(q.runs).toBeLessThan(200)
  // Values come in commit order.
  const seen = r.values.slice(1) as number[]
  expect([...seen].sort((a, b) => a - b)).toEqual(seen)
  expect(r.values.length).toBeLessThan(200)
  // Concurrent commits (one group commit, or a few) coalesce as well.
  const before = q.runs
  await Promise.all(Array.from({ length: 1000 }, (_, i) => db.dirtyUpdateCounter('stock', 'pear', i >= 0 ? 1 : 0)))
  await db.dirtyWrite('stock', { sku: 'apple', count: 7 })
  await r.until((v) => v === 7)
  expect(q.runs - before).toBeLessThan(20)
  r.off()
})

it('every value is one consistent snapshot, even when commits land while the function awaits', async () => {
  const [db, tab] = (await shop(2)) as [Database, Database]
  await db.transaction(async (t) => {
    await t.write('stock', { sku: 'a', count: 50 })
    await t.write('stock', { sku: 'b', count: 50 })
  })
  // Invariant of every commit: a + b = 100.
  const q = db.liveQuery(async (t) => {
    const a = (await countOf(t, 'a')) ?? 0
    await new Promise((resolve) => setTimeout(resolve, 1)) // let commits land between the reads
    const b = (await countOf(t, 'b')) ?? 0
    return { a, b }
  })
  const r = new Recorder(q)
  await r.until(() => true)
  for (let i = 1; i <= 30; i++) {
    await tab.transaction(async (t) => {
      await t.write('stock', { sku: 'a', count: 50 + i })
      await t.write('stock', { sku: 'b', count: 50 - i })
    })
  }
  await r.until((v) => v.a === 80)
  for (const v of r.values) expect(v.a + v.b).toBe(100)
  r.off()
})

it('follows the commits of another tab (a second handle on the same name)', async () => {
  const [a, b] = (await shop(2)) as [Database, Database]
  const q = a.liveQuery((t) => t.matchObject<Stock>('stock', { sku: '_' }))
  const r = new Recorder(q)
  await r.until((v) => v.length === 2)
  await b.dirtyWrite('stock', { sku: 'kiwi', count: 9 })
  const v = await r.until((x) => x.length === 3)
  expect(v).toContainEqual({ sku: 'kiwi', count: 9 })
  await b.transaction((t) => t.delete('stock', 'kiwi'))
  await r.until((x) => x.length === 2)
  r.off()
})

it('follows the commits of a peer (simulated network)', async () => {
  const net = new Network()
  const a = await openDatabase({ name: uniqueName('n') })
  const b = await openDatabase({ name: uniqueName('n') })
  open.push(a, b)
  await a.createTable('stock', { attributes: ['sku', 'count'] })
  await a.dirtyWrite('stock', { sku: 'apple', count: 1 })
  await a.join({ room: 'r', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'r', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  await b.waitForTables(['stock'], 1000)
  const r = new Recorder(a.liveQuery((t) => countOf(t, 'apple')))
  await r.until((v) => v === 1)
  await b.transaction((t) => t.write('stock', { sku: 'apple', count: 42 }))
  await quiet(net, [a, b])
  expect(await r.until((v) => v === 42)).toBe(42)
  r.off()
})

it('a throwing function calls the error callback once per distinct failure and keeps the subscription', async () => {
  const [db] = (await shop()) as [Database]
  const q = db.liveQuery(async (t) => {
    const n = (await countOf(t, 'apple')) ?? 0
    if (n >= 10) throw new Error(`too many: ${n >= 20 ? 'twenty' : 'ten'}`)
    return n
  })
  const r = new Recorder(q)
  await r.until((v) => v === 1)
  await db.dirtyWrite('stock', { sku: 'apple', count: 10 })
  await r.errorsReach(1)
  for (const n of [11, 12, 13]) {
    await db.dirtyWrite('stock', { sku: 'apple', count: n })
    await q.idle()
  }
  expect(q.runs).toBe(5)
  expect(r.errors.length).toBe(1)
  await db.dirtyWrite('stock', { sku: 'apple', count: 20 })
  await r.errorsReach(2)
  await db.dirtyWrite('stock', { sku: 'apple', count: 2 })
  await r.until((v) => v === 2)
  expect(r.errors.map((e) => (e as Error).message)).toEqual(['too many: ten', 'too many: twenty'])
  // A success resets the memory: the same failure again is reported again.
  await db.dirtyWrite('stock', { sku: 'apple', count: 10 })
  await r.errorsReach(3)
  r.off()
})

it('t.abort(reason) reports the reason; a write inside the function is refused (read-only)', async () => {
  const [db] = (await shop()) as [Database]
  const aborted = new Recorder(db.liveQuery((t) => t.abort('nope')))
  await aborted.errorsReach(1)
  expect(aborted.errors).toEqual(['nope'])
  const writing = new Recorder(db.liveQuery((t) => t.write('stock', { sku: 'x', count: 1 })))
  await writing.errorsReach(1)
  expect(writing.errors[0]).toBeInstanceOf(WebnesiaError)
  expect((writing.errors[0] as WebnesiaError).code).toBe('not_supported')
  expect(await db.dirtyRead('stock', 'x')).toEqual([])
  aborted.off()
  writing.off()
})

it('a query of a table that does not exist yet reports it, then follows the table once created', async () => {
  const [db, tab] = (await fresh(2)) as [Database, Database]
  open.push(db, tab)
  const r = new Recorder(db.liveQuery((t) => t.matchObject('late', { id: '_' })))
  await r.errorsReach(1)
  expect(r.errors[0]).toBeInstanceOf(NoSuchTableError)
  await tab.createTable('late', { attributes: ['id', 'v'] })
  await r.until((v) => v.length === 0)
  await tab.dirtyWrite('late', { id: 1, v: 'x' })
  await r.until((v) => v.length === 1)
  r.off()
})

it('follows disc_only_copies and ram_copies tables', async () => {
  const [db, tab] = (await fresh(2)) as [Database, Database]
  open.push(db, tab)
  await db.createTable('ord', { attributes: ['id', 'qty'], storage: 'disc_only_copies', type: 'ordered_set' })
  await db.createTable('ram', { attributes: ['id', 'qty'], storage: 'ram_copies' })
  await tab.waitForTables(['ord', 'ram'])
  const r = new Recorder(
    db.liveQuery(async (t) => [(await t.read<{ qty: number }>('ord', 1))[0]?.qty, (await t.read<{ qty: number }>('ram', 1))[0]?.qty]),
  )
  await r.until(() => true)
  await tab.dirtyWrite('ord', { id: 1, qty: 3 })
  await r.until((v) => v[0] === 3)
  await tab.dirtyWrite('ram', { id: 1, qty: 4 })
  await r.until((v) => v[1] === 4)
  const runs = r.values.length
  await tab.dirtyWrite('ord', { id: 2, qty: 3 })
  await tab.dirtyWrite('ord', { id: 1, qty: 5 })
  await r.until((v) => v[0] === 5)
  expect(r.values.length).toBe(runs + 1)
  r.off()
})

it("fits Svelte's store contract: subscribe returns the unsubscribe; a late subscriber gets the value at once", async () => {
  const [db] = (await shop()) as [Database]
  const q = db.liveQuery((t) => countOf(t, 'apple'))
  const first = new Recorder(q)
  await first.until((v) => v === 1)
  const got: (number | undefined)[] = []
  const off = q.subscribe((v) => got.push(v))
  expect(typeof off).toBe('function')
  expect(got).toEqual([1]) // synchronously
  off()
  first.off()
  // With no subscriber left the query stops: commits re-run nothing.
  const runs = q.runs
  await db.dirtyWrite('stock', { sku: 'apple', count: 4 })
  await db.dirtyWrite('stock', { sku: 'apple', count: 5 })
  expect(q.runs).toBe(runs)
  // And a new subscriber starts it afresh.
  const again = new Recorder(q)
  await again.until((v) => v === 5)
  again.off()
})

it('is an interop observable: RxJS from(q) follows it; closing the database completes it', async () => {
  const [db] = (await shop()) as [Database]
  const q = db.liveQuery((t) => countOf(t, 'apple'))
  const next = firstValueFrom(from(q).pipe(filter((v) => v === 3)))
  await db.dirtyWrite('stock', { sku: 'apple', count: 3 })
  expect(await next).toBe(3)
  const r = new Recorder(q)
  await r.until((v) => v === 3)
  open.splice(0)
  await db.close()
  expect(r.completed).toBe(true)
  expect(() => db.liveQuery((t) => t.first('stock'))).toThrow(DatabaseClosedError)
})
