/**
 * The transport contract fits a sync server (test/replication/relay.ts: one connection per node
 * to a relaying server, members learned from awareness, one pipe per member): a node joining
 * through it gets the schema and the records, writes flow every way, a node leaving the server
 * is node_down for the others, and it catches up when it comes back.
 */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type SystemEvent } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { RelayServer, serverTransport, settled } from './relay.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

const rows = async (db: Database): Promise<unknown[]> => (await db.dirtyMatchObject('item', {})).sort((x, y) => Number(x['id']) - Number(y['id']))

it('three nodes replicate through one relaying server connection each', async () => {
  const server = new RelayServer()
  const dbs: Database[] = []
  for (let i = 0; i < 3; i++) {
    const db = await openDatabase({ name: uniqueName('relay') })
    open.push(db)
    dbs.push(db)
  }
  const [a, b, c] = dbs as [Database, Database, Database]
  await a.createTable('item', { attributes: ['id', 'v'] })
  for (let i = 1; i <= 50; i++) await a.dirtyWrite('item', { id: i, v: `a${String(i)}` })
  const events: SystemEvent[] = []
  a.subscribe('system', (e) => events.push(e))
  for (let i = 0; i < 3; i++) await (dbs[i] as Database).join({ room: 'relay', transport: serverTransport(server, i), resyncMs: 0 })
  await settled(server, dbs)
  for (const db of [b, c]) await db.waitForTables(['item'], 5000)
  await settled(server, dbs)
  expect(a.replication?.connected()).toEqual([b.node, c.node].sort())
  for (const db of dbs) expect(await rows(db)).toHaveLength(50)

  await b.dirtyWrite('item', { id: 100, v: 'from b' })
  await c.dirtyWrite('item', { id: 1, v: 'from c' })
  await settled(server, dbs)
  const want = await rows(a)
  expect(want).toContainEqual({ id: 100, v: 'from b' })
  expect(want).toContainEqual({ id: 1, v: 'from c' })
  for (const db of dbs) expect(await rows(db)).toEqual(want)

  // c leaves the server: the others see it go; it catches up on its return.
  await c.leave()
  await settled(server, dbs)
  expect(events).toContainEqual({ type: 'node_down', node: c.node })
  await a.dirtyWrite('item', { id: 200, v: 'while c was away' })
  await settled(server, dbs)
  await c.join({ room: 'relay', transport: serverTransport(server, 2), resyncMs: 0 })
  await settled(server, dbs)
  expect(await c.dirtyRead('item', 200)).toEqual([{ id: 200, v: 'while c was away' }])
  for (const db of dbs) expect(await rows(db)).toEqual(await rows(a))
})
