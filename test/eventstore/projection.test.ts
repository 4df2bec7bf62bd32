/** Projections: writes + checkpoint in one transaction, once per event across tabs and crashes, rebuild, strong consistency. */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, WebnesiaError, type Database, type Transaction, type RecordedEvent } from '../../src/index.js'
import { fresh, settle, uniqueName } from '../node/helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close().catch(() => undefined)
})
async function tabs(n = 1): Promise<Database[]> {
  const dbs = await fresh(n)
  open.push(...dbs)
  return dbs
}

const TABLE = 'applied'
async function setup(db: Database): Promise<void> {
  await db.createTable(TABLE, { attributes: ['position', 'count', 'stream'], type: 'ordered_set', localContent: true })
  await db.createTable('balance', { attributes: ['id', 'amount'], localContent: true })
}
/** Counts each event's applications: every row must end at count 1. */
const countOnce = async (t: Transaction, ev: RecordedEvent): Promise<void> => {
  const [row] = await t.read(TABLE, ev.position)
  await t.write(TABLE, { position: ev.position, count: ((row?.['count'] as number | undefined) ?? 0) + 1, stream: ev.stream })
}
async function waitPosition(db: Database, name: string, position: number): Promise<void> {
  // The projection API's own wait: dispatch's consistency uses the same.
  const { waitForCheckpoint } = await import('../../src/eventstore/projection.js')
  await waitForCheckpoint(await db.eventStore().loaded(), name, position, 15_000)
}

it('applies every event once, resumes from its checkpoint, sees live events', async () => {
  const [db] = (await tabs()) as [Database]
  await setup(db)
  const es = db.eventStore()
  for (let i = 0; i < 25; i++) await es.append(`s${String(i % 3)}`, [{ type: 'E', data: i }])
  const p = db.projection('counter', { handle: countOnce, batchSize: 7 })
  await waitPosition(db, 'counter', 25)
  await es.append('s0', [{ type: 'E' }, { type: 'E' }])
  await waitPosition(db, 'counter', 27)
  expect(await p.position()).toBe(27)
  const rows = await db.dirtyMatchObject(TABLE, {})
  expect(rows.map((r) => r['position'])).toEqual([...Array(27).keys()].map((i) => i + 1))
  expect(rows.every((r) => r['count'] === 1)).toBe(true)
  expect(await db.dirtyRead('es:checkpoint', 'counter')).toMatchObject([{ position: 27, tables: [TABLE] }])
  expect(() => db.projection('counter', { handle: countOnce })).toThrow(WebnesiaError)
  expect(() => db.projection('x', { handle: 1 as unknown as () => void })).toThrow(WebnesiaError)
})

it('the same projection in three tabs applies each event once', async () => {
  const dbs = await tabs(3)
  await setup(dbs[0] as Database)
  for (const db of dbs) db.projection('counter', { handle: countOnce, batchSize: 5, leaseMs: 50 })
  const jobs: Promise<unknown>[] = []
  for (let i = 0; i < 60; i++) jobs.push((dbs[i % 3] as Database).eventStore().append(`s${String(i % 4)}`, [{ type: 'E', data: i }]))
  await Promise.all(jobs)
  for (const db of dbs) await waitPosition(db, 'counter', 60)
  const rows = await (dbs[0] as Database).dirtyMatchObject(TABLE, {})
  expect(rows).toHaveLength(60)
  expect(rows.filter((r) => r['count'] !== 1)).toEqual([])
})

it('a tab closed in the middle of a batch: nothing of the batch is kept, another tab does it once', async () => {
  const name = uniqueName('crash')
  const a = await openDatabase({ name })
  const b = await openDatabase({ name })
  open.push(b)
  await setup(a)
  const es = a.eventStore()
  for (let i = 0; i < 30; i++) await es.append('s', [{ type: 'E', data: i }])
  let entered!: () => void
  const inBatch = new Promise<void>((r) => (entered = r))
  let release!: () => void
  const hold = new Promise<void>((r) => (release = r))
  a.projection('counter', {
    batchSize: 10,
    leaseMs: 100,
    handle: async (t, ev) => {
      await countOnce(t, ev)
      if (ev.position === 15) {
        entered()
        await hold // the tab dies with half a batch written into its transaction
      }
    },
  })
  await inBatch
  await a.close()
  release()
  // a committed the first batch (1..10) and nothing of the second.
  await settle(b)
  const mid = await b.dirtyMatchObject(TABLE, {})
  expect(mid.map((r) => r['position'])).toEqual([...Array(10).keys()].map((i) => i + 1))
  b.projection('counter', { handle: countOnce, batchSize: 10, leaseMs: 100 })
  await waitPosition(b, 'counter', 30)
  const rows = await b.dirtyMatchObject(TABLE, {})
  expect(rows.map((r) => r['position'])).toEqual([...Array(30).keys()].map((i) => i + 1))
  expect(rows.filter((r) => r['count'] !== 1)).toEqual([])
})

it('a throwing handler aborts its batch and is retried; nothing is skipped or applied twice', async () => {
  const [db] = (await tabs()) as [Database]
  await setup(db)
  const es = db.eventStore()
  for (let i = 0; i < 6; i++) await es.append('s', [{ type: 'E', data: i }])
  let fails = 2
  const errors: unknown[] = []
  db.projection('counter', {
    batchSize: 4,
    onError: (e, ev) => errors.push([(e as Error).message, ev?.position]),
    handle: async (t, ev) => {
      await countOnce(t, ev)
      if (ev.position === 3 && fails-- > 0) throw new Error('boom')
    },
  })
  await waitPosition(db, 'counter', 6)
  const rows = await db.dirtyMatchObject(TABLE, {})
  expect(rows.map((r) => r['count'])).toEqual([1, 1, 1, 1, 1, 1])
  expect(errors).toEqual([['boom', 3], ['boom', 3]])
})

it('rebuild clears the tables it writes and replays from the origin', async () => {
  const [a, b] = (await tabs(2)) as [Database, Database]
  await setup(a)
  const es = a.eventStore()
  for (let i = 1; i <= 10; i++) await es.append(`acc-${String(i % 2)}`, [{ type: 'Deposited', data: { amount: i } }])
  const handle = async (t: Transaction, ev: RecordedEvent): Promise<void> => {
    const [row] = await t.read('balance', ev.stream)
    await t.write('balance', { id: ev.stream, amount: ((row?.['amount'] as number | undefined) ?? 0) + (ev.data as { amount: number }).amount })
  }
  const p = a.projection('balances', { handle, tables: [TABLE] })
  await waitPosition(a, 'balances', 10)
  // Corrupt the read model, then rebuild it from another tab that declared the same projection.
  await a.dirtyWrite('balance', { id: 'acc-0', amount: -1 })
  await a.dirtyWrite(TABLE, { position: 99, count: 5, stream: 'x' })
  const q = b.projection('balances', { handle })
  await q.rebuild()
  const rows = await b.dirtyMatchObject('balance', {})
  expect(rows.sort((x, y) => String(x['id']).localeCompare(String(y['id'])))).toEqual([
    { id: 'acc-0', amount: 30 },
    { id: 'acc-1', amount: 25 },
  ])
  expect(await b.dirtyMatchObject(TABLE, {})).toEqual([]) // `tables` given in another tab: recorded in the checkpoint
  await waitPosition(a, 'balances', 10) // tab a sees b's checkpoint once b announced it
  expect(await p.position()).toBe(10)
})

it("dispatch with consistency 'strong' / named projections resolves after they handled the events", async () => {
  const [db] = (await tabs()) as [Database]
  await setup(db)
  const handle = async (t: Transaction, ev: RecordedEvent): Promise<void> => {
    const [row] = await t.read('balance', ev.stream)
    await t.write('balance', { id: ev.stream, amount: ((row?.['amount'] as number | undefined) ?? 0) + (ev.data as number) })
  }
  db.projection('balances', { handle })
  const A = db.aggregate<number, number>('acct', { initial: () => 0, execute: (_s, n) => [{ type: 'D', data: n }], apply: (s, e) => s + (e.data as number) })
  for (let i = 1; i <= 5; i++) {
    await A.dispatch('x', i, { consistency: i % 2 === 0 ? 'strong' : ['balances'] })
    expect(await db.dirtyRead('balance', 'x')).toEqual([{ id: 'x', amount: (i * (i + 1)) / 2 }])
  }
  await expect(A.dispatch('x', 1, { consistency: ['nobody'], timeoutMs: 50 })).rejects.toMatchObject({ code: 'timeout' })
  expect((await A.load('x')).version).toBe(6) // appended all the same
})
