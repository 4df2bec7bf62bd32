/** Primary tables (seed 002): writes committed by one node for the cluster, on the simulated network. */
import { afterEach, expect, it } from 'vitest'
import { PrimaryUnavailableError, WebnesiaError, type Database, type SystemEvent } from '../../src/index.js'
import { cluster, increment, valueOf } from './helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

it('setPrimary gives every node the role; a replica’s write is committed by the primary', async () => {
  const { dbs, settle } = await cluster(3, open)
  const [a, b, c] = dbs as [Database, Database, Database]
  for (const db of dbs) expect(db.tableInfo('counter', 'primary')).toBe(a.node)
  expect(a.tableInfo('other', 'primary')).toBeUndefined()
  expect(typeof b.tableInfo('counter', 'lastSync')).toBe('number')
  expect(await increment(b)).toBe(1)
  // Read-your-writes: the replica that wrote holds its commit when the transaction resolves.
  expect(await valueOf(b)).toBe(1)
  await settle()
  expect(await valueOf(a)).toBe(1)
  expect(await valueOf(c)).toBe(1)
})

it('a role that moves is a primary_changed system event on every node, the mover included', async () => {
  const { dbs, settle } = await cluster(3, open)
  const [a, b] = dbs as [Database, Database, Database]
  const seen = dbs.map(() => [] as SystemEvent[])
  dbs.forEach((db, i) => db.subscribe('system', (ev) => (ev.type === 'primary_changed' ? seen[i]?.push(ev) : undefined)))
  await a.setPrimary('counter', b.node)
  await settle()
  for (const events of seen) expect(events).toEqual([{ type: 'primary_changed', table: 'counter', node: b.node, epoch: 2 }])
})

it('concurrent read-increment-write from every node loses no update', async () => {
  const { dbs, settle } = await cluster(3, open)
  const per = 15
  const results = await Promise.all(
    dbs.map(async (db) => {
      const mine: number[] = []
      for (let i = 0; i < per; i++) mine.push(await increment(db))
      return mine
    }),
  )
  await settle()
  const all = results.flat().sort((x, y) => x - y)
  // Every committed increment saw a distinct value: a total order, no lost update.
  expect(all).toEqual(Array.from({ length: 3 * per }, (_, i) => i + 1))
  for (const db of dbs) expect(await valueOf(db)).toBe(3 * per)
})

it('mixing a primary table and an ordinary replicated table in one write is refused', async () => {
  const { dbs } = await cluster(2, open)
  const b = dbs[1] as Database
  const err = await b
    .transaction(async (t) => {
      await t.write('counter', { id: 'x', n: 1 })
      await t.write('other', { id: 'x', v: 1 })
    })
    .catch((e: unknown) => e)
  expect(err).toBeInstanceOf(WebnesiaError)
  expect((err as WebnesiaError).code).toBe('not_supported')
  expect(await valueOf(b, 'x')).toBe(0)
})

it('primary unreachable: replica reads go on, writes reject with PrimaryUnavailableError', async () => {
  const { net, dbs, settle } = await cluster(3, open)
  const [a, b] = dbs as [Database, Database, Database]
  await increment(b)
  await settle()
  net.disconnect(0, 1)
  net.disconnect(0, 2)
  await settle()
  const before = b.tableInfo('counter', 'lastSync') as number
  expect(before).toBeLessThanOrEqual(Date.now())
  expect(await b.transaction(async (t) => (await t.read<{ n: number }>('counter', 'hot'))[0]?.n)).toBe(1)
  const err = await increment(b).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(PrimaryUnavailableError)
  expect((err as PrimaryUnavailableError).code).toBe('primary_unavailable')
  expect((err as PrimaryUnavailableError).primary).toBe(a.node)
  // reads: 'primary' needs the primary too; the default replica reads do not.
  const err2 = await b.transaction(async (t) => t.read('counter', 'hot'), { reads: 'primary' }).catch((e: unknown) => e)
  expect(err2).toBeInstanceOf(PrimaryUnavailableError)
  expect(await valueOf(a)).toBe(1)
  // maxStalenessMs: the copy last heard from the primary before the cut; a bound it meets reads
  // locally, one it does not goes to the primary (unreachable).
  expect(await b.transaction(async (t) => (await t.read('counter', 'hot')).length, { maxStalenessMs: 60_000 })).toBe(1)
  await new Promise((r) => setTimeout(r, 5))
  const err3 = await b.transaction(async (t) => t.read('counter', 'hot'), { maxStalenessMs: 1 }).catch((e: unknown) => e)
  expect(err3).toBeInstanceOf(PrimaryUnavailableError)
})

it('whenPrimaryDown: queue commits when the primary is back', async () => {
  const { net, dbs, settle } = await cluster(3, open)
  const [a, b] = dbs as [Database, Database, Database]
  net.disconnect(0, 1)
  net.disconnect(0, 2)
  await settle()
  let done = false
  const queued = increment(b, 'q', { whenPrimaryDown: 'queue' }).then((v) => {
    done = true
    return v
  })
  await new Promise((r) => setTimeout(r, 50))
  expect(done).toBe(false)
  expect(await valueOf(a, 'q')).toBe(0)
  net.connect(0, 1)
  net.connect(0, 2)
  expect(await queued).toBe(1)
  await settle()
  for (const db of dbs) expect(await valueOf(db, 'q')).toBe(1)
})

it('fail-over: the new primary commits; the old one, back, never overwrites it (epoch fencing)', async () => {
  const { net, dbs, settle } = await cluster(3, open)
  const [a, b, c] = dbs as [Database, Database, Database]
  await increment(c)
  await settle()
  // {a} | {b, c}: b takes the role (epoch 2) while a, cut off, still believes it holds epoch 1.
  net.disconnect(0, 1)
  net.disconnect(0, 2)
  await settle()
  await b.setPrimary('counter', b.node)
  await settle()
  expect(c.tableInfo('counter', 'primary')).toBe(b.node)
  expect(a.tableInfo('counter', 'primary')).toBe(a.node)
  await a.transaction(async (t) => {
    await t.write('counter', { id: 'hot', n: 1000 })
    await t.write('counter', { id: 'only-a', n: 7 })
  })
  expect(await increment(c)).toBe(2)
  expect(await increment(b)).toBe(3)
  // Heal: the deposed primary's writes are fenced off on every node.
  net.connect(0, 1)
  net.connect(0, 2)
  await settle()
  for (const db of dbs) {
    expect(db.tableInfo('counter', 'primary')).toBe(b.node)
    expect(await valueOf(db)).toBe(3)
    expect(await valueOf(db, 'only-a')).toBe(0)
  }
  // a now forwards to b; and the role can go back to a (epoch 3).
  expect(await increment(a)).toBe(4)
  await b.setPrimary('counter', a.node)
  await settle()
  for (const db of dbs) expect(db.tableInfo('counter', 'primary')).toBe(a.node)
  expect(await increment(b)).toBe(5)
  await settle()
  for (const db of dbs) expect(await valueOf(db)).toBe(5)
})

it('a stale primary refuses a request carrying a newer epoch (fencing on every primary commit)', async () => {
  const { net, dbs, settle } = await cluster(3, open)
  const [a, b, c] = dbs as [Database, Database, Database]
  // c moves the role to b; a learns nothing of it (cut from b and c just before).
  net.disconnect(0, 1)
  net.disconnect(0, 2)
  await settle()
  await c.setPrimary('counter', b.node)
  await settle()
  expect(a.tableInfo('counter', 'primary')).toBe(a.node)
  expect(await increment(c)).toBe(1)
  await settle()
  expect(await valueOf(b)).toBe(1)
  expect(await valueOf(a)).toBe(0)
})

it('setPrimary checks its arguments', async () => {
  const { dbs } = await cluster(2, open)
  const a = dbs[0] as Database
  await expect(a.setPrimary('nope', a.node)).rejects.toMatchObject({ code: 'no_exists' })
  await expect(a.setPrimary('counter', '')).rejects.toMatchObject({ code: 'badarg' })
  await expect(a.setPrimary('counter', 'nobody')).rejects.toBeInstanceOf(PrimaryUnavailableError)
  expect(a.tableInfo('counter', 'primary')).toBe(a.node)
})
