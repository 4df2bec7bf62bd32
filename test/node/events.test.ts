/** Table and system events: after commit, in commit order, once, with their origin. */
import { afterEach, expect, it } from 'vitest'
import type { Database, DetailedTableEvent, TableEvent } from '../../src/index.js'
import { fresh, settle } from './helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

it('simple and detailed events, local and from another tab, in commit order', async () => {
  const [a, b] = (dbs = await fresh(2)) as [Database, Database]
  await a.createTable('t', { attributes: ['k', 'v'] })
  await b.waitForTables(['t'], 2000)
  const simple: TableEvent[] = []
  const detailed: DetailedTableEvent[] = []
  const remote: TableEvent[] = []
  a.subscribe({ table: 't' }, (e) => simple.push(e))
  a.subscribe({ table: 't', detail: 'detailed' }, (e) => detailed.push(e))
  b.subscribe({ table: 't' }, (e) => remote.push(e))
  await a.transaction(async (t) => {
    await t.write('t', { k: 1, v: 'a' })
    await t.write('t', { k: 1, v: 'b' })
    await t.write('t', { k: 2, v: 'c' })
  })
  await a.dirtyWrite('t', { k: 2, v: 'c' }) // identical write to a set: still an event
  await a.dirtyDelete('t', 1)
  await a.dirtyDelete('t', 99) // nothing there: no event
  await settle(a, b)
  const compact = (evs: TableEvent[]): unknown[] => evs.map((e) => [e.type, e.type === 'delete' || e.type === 'clear' ? (e.type === 'delete' ? e.key : null) : e.record['v'], e.origin])
  expect(compact(simple)).toEqual([
    ['write', 'a', 'local'],
    ['write', 'b', 'local'],
    ['write', 'c', 'local'],
    ['write', 'c', 'local'],
    ['delete', 1, 'local'],
  ])
  expect(compact(remote).map((e) => (e as unknown[]).slice(0, 2))).toEqual(compact(simple).map((e) => (e as unknown[]).slice(0, 2)))
  expect(remote.every((e) => e.origin === 'tab')).toBe(true)
  expect(detailed[1]?.old).toEqual([{ k: 1, v: 'a' }])
  expect(detailed[4]?.old).toEqual([{ k: 1, v: 'b' }])
  expect(detailed[0]?.tid).toBe(detailed[2]?.tid)
  expect(detailed[0]?.tid).not.toBe(detailed[3]?.tid)
})

it('bags: writing a stored record again is no change; delete_object events; unsubscribe; aborted changes emit nothing', async () => {
  const [db] = (dbs = await fresh()) as [Database]
  await db.createTable('b', { attributes: ['k', 'v'], type: 'bag' })
  const evs: TableEvent[] = []
  const off = db.subscribe({ table: 'b' }, (e) => evs.push(e))
  await db.dirtyWrite('b', { k: 1, v: 'x' })
  await db.dirtyWrite('b', { k: 1, v: 'x' })
  await db.dirtyDeleteObject('b', { k: 1, v: 'x' })
  await db.transaction(async (t) => {
    await t.write('b', { k: 2, v: 'y' })
    t.abort('no')
  }).catch(() => undefined)
  off()
  await db.dirtyWrite('b', { k: 3, v: 'z' })
  expect(evs.map((e) => e.type)).toEqual(['write', 'delete_object'])
})

it('system events for table creation and deletion, from another tab too', async () => {
  const [a, b] = (dbs = await fresh(2)) as [Database, Database]
  const seen: string[] = []
  b.subscribe('system', (e) => seen.push(`${e.type}:${'table' in e ? e.table : ''}`))
  await a.createTable('x', { attributes: ['k', 'v'] })
  await a.deleteTable('x')
  await settle(a, b)
  expect(seen).toEqual(['table_created:x', 'table_deleted:x'])
  expect(() => b.subscribe({ table: 'x' }, () => undefined)).toThrow(/no such table/)
})

it('a throwing subscriber does not break the commit or other subscribers', async () => {
  const [db] = (dbs = await fresh()) as [Database]
  await db.createTable('t', { attributes: ['k', 'v'] })
  const errors: unknown[] = []
  const orig = globalThis.reportError
  globalThis.reportError = (e: unknown) => errors.push(e)
  try {
    const got: unknown[] = []
    db.subscribe({ table: 't' }, () => {
      throw new Error('subscriber bug')
    })
    db.subscribe({ table: 't' }, (e) => got.push(e.type))
    await db.dirtyWrite('t', { k: 1, v: 1 })
    expect(got).toEqual(['write'])
    expect(errors).toHaveLength(1)
    expect(await db.dirtyRead('t', 1)).toEqual([{ k: 1, v: 1 }])
  } finally {
    globalThis.reportError = orig
  }
})
