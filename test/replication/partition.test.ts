/** Partitions: inconsistent_database when both sides wrote; master nodes decide after the heal. */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type SystemEvent } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function cluster(n: number): Promise<{ net: Network; dbs: Database[] }> {
  const net = new Network()
  const dbs: Database[] = []
  for (let i = 0; i < n; i++) {
    const db = await openDatabase({ name: uniqueName('p') })
    open.push(db)
    dbs.push(db)
  }
  await (dbs[0] as Database).createTable('acct', { attributes: ['id', 'balance'] })
  await (dbs[0] as Database).createTable('note', { attributes: ['id', 'text'] })
  for (let i = 0; i < n; i++) await (dbs[i] as Database).join({ room: 'p', transport: net.transport(i), resyncMs: 0 })
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) net.connect(i, j)
  await quiet(net, dbs)
  return { net, dbs }
}

const rows = async (db: Database, t: string): Promise<unknown[]> => (await db.dirtyMatchObject(t, {})).sort((x, y) => String(x['id']).localeCompare(String(y['id'])))

it('both sides writing while apart is inconsistent_database; the master node’s version wins everywhere', async () => {
  const { net, dbs } = await cluster(3)
  const [a, b, c] = dbs as [Database, Database, Database]
  await a.dirtyWrite('acct', { id: 'x', balance: 10 })
  await a.dirtyWrite('note', { id: 'n', text: 'first' })
  await quiet(net, dbs)
  await a.setMasterNodes('acct', [a.node])
  await quiet(net, dbs)
  expect(c.tableInfo('acct', 'masterNodes')).toEqual([a.node])

  const events: SystemEvent[] = []
  a.subscribe('system', (e) => events.push(e))
  // {a} | {b, c}
  net.disconnect(0, 1)
  net.disconnect(0, 2)
  await quiet(net, dbs)
  expect(events).toContainEqual({ type: 'node_down', node: b.node })
  await a.dirtyWrite('acct', { id: 'x', balance: 11 })
  await b.dirtyWrite('acct', { id: 'x', balance: 99 })
  await b.dirtyWrite('acct', { id: 'y', balance: 5 })
  await c.dirtyWrite('note', { id: 'n', text: 'from c' })
  await quiet(net, dbs)
  expect(await rows(c, 'acct')).toEqual([{ id: 'x', balance: 99 }, { id: 'y', balance: 5 }])

  net.connect(0, 1)
  net.connect(0, 2)
  await quiet(net, dbs)
  const inconsistent = events.filter((e) => e.type === 'inconsistent_database')
  expect(inconsistent.length).toBeGreaterThan(0)
  expect(inconsistent[0]).toMatchObject({ tables: expect.arrayContaining(['acct']) as unknown })
  // acct has a master (a): a's version wins on every node, y included (a never had it).
  for (const db of dbs) expect(await rows(db, 'acct')).toEqual([{ id: 'x', balance: 11 }])
  // note has none: the CRDT's merge decides, the same on every node.
  const notes = await Promise.all(dbs.map((db) => rows(db, 'note')))
  expect(notes[1]).toEqual(notes[0])
  expect(notes[2]).toEqual(notes[0])
  expect(notes[0]).toEqual([{ id: 'n', text: 'from c' }])
})

it('writes on one side only merge without inconsistent_database', async () => {
  const { net, dbs } = await cluster(2)
  const [a, b] = dbs as [Database, Database]
  const events: SystemEvent[] = []
  a.subscribe('system', (e) => events.push(e))
  b.subscribe('system', (e) => events.push(e))
  net.disconnect(0, 1)
  await b.dirtyWrite('note', { id: 'offline', text: 'written offline' })
  net.connect(0, 1)
  await quiet(net, dbs)
  expect(await a.dirtyRead('note', 'offline')).toEqual([{ id: 'offline', text: 'written offline' }])
  expect(events.filter((e) => e.type === 'inconsistent_database')).toEqual([])
  expect(events.filter((e) => e.type === 'node_up').length).toBe(2)
})

it('a node reloaded while apart still knows what changed on its side: inconsistent_database after the heal', async () => {
  const net = new Network()
  const nameB = uniqueName('pb')
  const a = await openDatabase({ name: uniqueName('pa') })
  open.push(a)
  let b = await openDatabase({ name: nameB })
  await a.createTable('note', { attributes: ['id', 'text'] })
  await a.join({ room: 'pr', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'pr', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  expect(b.tableInfo('note', 'size')).toBe(0)
  const aEvents: SystemEvent[] = []
  a.subscribe('system', (e) => aEvents.push(e))
  net.disconnect(0, 1)
  await quiet(net, [a, b])
  await a.dirtyWrite('note', { id: 'a', text: 'from a' })
  await b.dirtyWrite('note', { id: 'b', text: 'from b' })
  await quiet(net, [a, b])
  // b reloads while still cut off from a, and joins again.
  await b.close()
  b = await openDatabase({ name: nameB })
  open.push(b)
  const bEvents: SystemEvent[] = []
  b.subscribe('system', (e) => bEvents.push(e))
  await b.join({ room: 'pr', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  for (const events of [aEvents, bEvents]) {
    expect(events.filter((e) => e.type === 'inconsistent_database')).toEqual([{ type: 'inconsistent_database', tables: ['note'], nodes: [expect.any(String) as unknown] }])
  }
  expect(await b.dirtyMatchObject('note', {})).toHaveLength(2)
})

it('leave, writes on both sides, join again: inconsistent_database on both nodes', async () => {
  const { net, dbs } = await cluster(2)
  const [a, b] = dbs as [Database, Database]
  const events: [string, SystemEvent][] = []
  a.subscribe('system', (e) => events.push(['a', e]))
  b.subscribe('system', (e) => events.push(['b', e]))
  await b.leave()
  await quiet(net, dbs)
  await a.dirtyWrite('note', { id: 'a', text: 'from a' })
  await b.dirtyWrite('note', { id: 'b', text: 'from b' })
  await b.join({ room: 'p', transport: net.transport(1), resyncMs: 0 })
  // a takes the new connection late: b's HELLO is already waiting for it (as over WebRTC).
  await net.connectLate(0, 1)
  await quiet(net, dbs)
  const inconsistent = events.filter(([, e]) => e.type === 'inconsistent_database').map(([who]) => who)
  expect(inconsistent.sort()).toEqual(['a', 'b'])
})
