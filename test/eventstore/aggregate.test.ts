/** Aggregates: dispatch / load, retries on concurrent appends, snapshots as a pure optimisation. */
import fc from 'fast-check'
import { afterEach, expect, it } from 'vitest'
import { TooManyAttemptsError, WebnesiaError, type Database, type RecordedEvent } from '../../src/index.js'
import { fresh, settle } from '../node/helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})
async function tabs(n = 1): Promise<Database[]> {
  const dbs = await fresh(n)
  open.push(...dbs)
  return dbs
}

type Cmd = { type: 'Deposit'; amount: number } | { type: 'Withdraw'; amount: number }
interface Acct {
  balance: number
  history: number[]
}
const account = (db: Database, snapshotEvery?: number) =>
  db.aggregate<Acct, Cmd>('account', {
    initial: () => ({ balance: 0, history: [] }),
    execute: (s, c) => {
      if (c.type === 'Withdraw' && c.amount > s.balance) throw new Error('insufficient funds')
      return [{ type: c.type === 'Deposit' ? 'Deposited' : 'Withdrawn', data: { amount: c.amount } }]
    },
    apply: (s, ev: RecordedEvent) => {
      const amount = (ev.data as { amount: number }).amount
      const d = ev.type === 'Deposited' ? amount : -amount
      return { balance: s.balance + d, history: [...s.history, d] }
    },
    ...(snapshotEvery !== undefined ? { snapshotEvery } : {}),
  })

it('dispatch appends what execute returns; load folds the events; a refused command appends nothing', async () => {
  const [db] = (await tabs()) as [Database]
  const A = account(db)
  expect(await A.load('acc-1')).toEqual({ state: { balance: 0, history: [] }, version: 0 })
  const r = await A.dispatch('acc-1', { type: 'Deposit', amount: 10 })
  expect(r.version).toBe(1)
  expect(r.events).toMatchObject([{ stream: 'acc-1', version: 1, type: 'Deposited', data: { amount: 10 } }])
  await A.dispatch('acc-1', { type: 'Withdraw', amount: 4 })
  await expect(A.dispatch('acc-1', { type: 'Withdraw', amount: 100 })).rejects.toThrow('insufficient funds')
  expect(await A.load('acc-1')).toEqual({ state: { balance: 6, history: [10, -4] }, version: 2 })
  // The aggregate id is its stream.
  expect((await db.eventStore().read('acc-1')).map((e) => e.type)).toEqual(['Deposited', 'Withdrawn'])
  // No events: nothing appended, the version stays.
  const noop = db.aggregate<number, null>('noop', { initial: () => 0, execute: () => [], apply: (s) => s + 1 })
  expect(await noop.dispatch('n', null)).toEqual({ version: 0, events: [] })
  expect(await db.eventStore().read('n')).toEqual([])
})

it('bad definitions and arguments are typed errors', async () => {
  const [db] = (await tabs()) as [Database]
  const ok = { initial: () => 0, execute: () => [], apply: (s: number) => s }
  expect(() => db.aggregate('', ok)).toThrow(WebnesiaError)
  expect(() => db.aggregate('x', { ...ok, apply: 1 as unknown as () => number })).toThrow(WebnesiaError)
  expect(() => db.aggregate('x', { ...ok, snapshotEvery: 0 })).toThrow(WebnesiaError)
  const A = account(db)
  await expect(A.dispatch('', { type: 'Deposit', amount: 1 })).rejects.toMatchObject({ code: 'badarg' })
  await expect(A.load(3 as unknown as string)).rejects.toMatchObject({ code: 'badarg' })
  await expect(A.dispatch('a', { type: 'Deposit', amount: 1 }, { consistency: 'sometimes' as 'strong' })).rejects.toMatchObject({ code: 'badarg' })
  const badEvents = db.aggregate<number, null>('bad', { initial: () => 0, execute: () => [{ kind: 'X' } as unknown as { type: string }], apply: (s) => s })
  await expect(badEvents.dispatch('b', null)).rejects.toMatchObject({ code: 'badarg' })
  expect(await db.eventStore().read('b')).toEqual([])
})

it('concurrent dispatches from two tabs: every command lands once, the state is the fold, versions 1..n', async () => {
  const [a, b] = (await tabs(2)) as [Database, Database]
  const [A, B] = [account(a), account(b)]
  const jobs: Promise<unknown>[] = []
  for (let i = 1; i <= 15; i++) {
    jobs.push(A.dispatch('acc', { type: 'Deposit', amount: i }))
    jobs.push(B.dispatch('acc', { type: 'Deposit', amount: 100 * i }))
  }
  await Promise.all(jobs)
  await settle(a, b)
  const evs = await a.eventStore().read('acc')
  expect(evs.map((e) => e.version)).toEqual([...Array(30).keys()].map((i) => i + 1))
  const total = evs.reduce((s, e) => s + (e.data as { amount: number }).amount, 0)
  expect(total).toBe(120 + 12000)
  for (const X of [A, B]) expect((await X.load('acc')).state.balance).toBe(total)
})

it('after 10 attempts that all meet a concurrent append: TooManyAttemptsError, nothing appended by it', async () => {
  const [db] = (await tabs()) as [Database]
  const es = db.eventStore()
  let calls = 0
  const Racy = db.aggregate<number, null>('racy', {
    initial: () => 0,
    // Each attempt lets another writer append to the stream before this one appends.
    execute: async () => {
      calls++
      await es.append('r', [{ type: 'Other' }])
      return [{ type: 'Mine' }]
    },
    apply: (s) => s + 1,
  })
  const err = await Racy.dispatch('r', null).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(TooManyAttemptsError)
  expect(err).toMatchObject({ code: 'too_many_attempts', aggregate: 'racy', id: 'r', attempts: 10 })
  expect(calls).toBe(10)
  expect((await es.read('r')).map((e) => e.type)).toEqual(Array(10).fill('Other'))
})

it('snapshots are an optimisation only: the same state and version with and without them (property)', async () => {
  const [db] = (await tabs()) as [Database]
  let run = 0
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 7 }), fc.array(fc.integer({ min: -20, max: 50 }), { minLength: 0, maxLength: 30 }), async (every, amounts) => {
      const id = `p-${String(++run)}`
      const withSnap = account(db, every)
      const plain = account(db)
      for (const x of amounts) {
        await withSnap.dispatch(id, x >= 0 ? { type: 'Deposit', amount: x } : { type: 'Withdraw', amount: -x }).catch(() => undefined)
      }
      const s = await withSnap.load(id)
      expect(s).toEqual(await plain.load(id))
      expect(s).toEqual(await withSnap.loadFull(id, false))
      if (amounts.filter((x) => x >= 0).length >= every) {
        expect(await db.dirtyRead('es:snapshot', ['account', id])).toHaveLength(1)
      }
    }),
    { numRuns: 25 },
  )
})

it('a snapshot is used when valid and ignored when its version no longer holds its event', async () => {
  const [db] = (await tabs()) as [Database]
  const A = account(db, 2)
  for (let i = 1; i <= 5; i++) await A.dispatch('s', { type: 'Deposit', amount: i })
  const [snap] = await db.dirtyRead('es:snapshot', ['account', 's'])
  expect(snap).toMatchObject({ version: 4, state: { balance: 10 } })
  // A planted snapshot with a wrong state is used (proof that load reads it)…
  await db.dirtyWrite('es:snapshot', { ...snap, state: { balance: 1000, history: [] } })
  expect((await A.load('s')).state.balance).toBe(1005)
  // …and ignored once it names another event than the one at its version.
  await db.dirtyWrite('es:snapshot', { ...snap, state: { balance: 1000, history: [] }, last: ['s', 99, 'elsewhere'] })
  expect((await A.load('s')).state.balance).toBe(15)
  // A snapshot of another snapshotVersion is ignored too.
  await db.dirtyWrite('es:snapshot', { ...snap, state: { balance: 1000, history: [] }, schema: 7 })
  expect((await A.load('s')).state.balance).toBe(15)
})
