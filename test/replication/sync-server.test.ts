/**
 * Replication through real Yjs sync servers started in-process on 127.0.0.1 (y-websocket's and
 * Hocuspocus, unmodified): nodes converge through them, a dropped server connection heals, a
 * hostile member sending bad frames through the server is dropped, and a server and another
 * transport work at once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase, type Database, type Pipe, type SystemEvent } from '../../src/index.js'
import { syncServerTransport, type ServerKind } from '../../src/replication/sync-server.js'
import { MAGIC } from '../../src/replication/wire.js'
import { uniqueName } from '../node/helpers.js'
import { Network } from './network.js'
import { startHocuspocus, startYWebsocket, type SyncServer } from './sync-servers.js'

const open: Database[] = []
const servers: SyncServer[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
  for (const s of servers.splice(0)) await s.close()
})

/** Resolves once `cond` holds (checked as replication runs), or fails after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const rows = async (db: Database, t = 'item'): Promise<unknown[]> => (await db.dirtyMatchObject(t, {})).sort((x, y) => Number(x['id']) - Number(y['id']))
const has = (db: Database): boolean => {
  try {
    db.tableInfo('item', 'size')
    return true
  } catch {
    return false
  }
}

const same = async (dbs: readonly Database[], n: number): Promise<boolean> => {
  const want = JSON.stringify(await rows(dbs[0] as Database))
  for (const db of dbs) {
    if (!has(db)) return false
    const r = await rows(db)
    if (r.length !== n || JSON.stringify(r) !== want) return false
  }
  return true
}

async function nodes(n: number): Promise<Database[]> {
  const dbs: Database[] = []
  for (let i = 0; i < n; i++) {
    const db = await openDatabase({ name: uniqueName('ss') })
    open.push(db)
    dbs.push(db)
  }
  return dbs
}

const kinds: [ServerKind, () => Promise<SyncServer>][] = [
  ['y-websocket', startYWebsocket],
  ['hocuspocus', () => startHocuspocus()],
]

describe.each(kinds)('through %s', (serverKind, start) => {
  it('three nodes get the table and converge on every write', async () => {
    const s = await start()
    servers.push(s)
    const dbs = await nodes(3)
    const [a, b, c] = dbs as [Database, Database, Database]
    await a.createTable('item', { attributes: ['id', 'v'] })
    for (let i = 1; i <= 100; i++) await a.dirtyWrite('item', { id: i, v: `a${String(i)}` })
    const room = uniqueName('room')
    await a.join({ room, server: s.url, serverKind, resyncMs: 0 })
    await b.join({ room, server: s.url, serverKind, resyncMs: 0 })
    await b.waitForTables(['item'], 10_000)
    await until(() => same([a, b], 100), 10_000, 'b copied')
    await c.join({ room, server: s.url, serverKind, resyncMs: 0 })
    await c.waitForTables(['item'], 10_000)
    await b.dirtyWrite('item', { id: 200, v: 'from b' })
    await c.dirtyWrite('item', { id: 1, v: 'from c' })
    await until(() => same(dbs, 101), 10_000, 'converged')
    expect(await a.dirtyRead('item', 200)).toEqual([{ id: 200, v: 'from b' }])
    expect(await b.dirtyRead('item', 1)).toEqual([{ id: 1, v: 'from c' }])
    await until(() => (a.replication?.connected().length ?? 0) === 2, 5000, 'a sees both')
    expect(a.replication?.connected()).toEqual([b.node, c.node].sort())
    // syncTransaction waits for the peers' acknowledgements, which travel through the server too.
    await a.syncTransaction(async (t) => t.write('item', { id: 300, v: 'acked' }))
    expect(await b.dirtyRead('item', 300)).toEqual([{ id: 300, v: 'acked' }])
  })

  it('a dropped server connection is node_down; the nodes reconnect and catch up', async () => {
    const s = await start()
    servers.push(s)
    const dbs = await nodes(2)
    const [a, b] = dbs as [Database, Database]
    await a.createTable('item', { attributes: ['id', 'v'] })
    const room = uniqueName('room')
    for (const db of dbs) await db.join({ room, server: s.url, serverKind, resyncMs: 0 })
    await b.waitForTables(['item'], 10_000)
    const events: SystemEvent[] = []
    a.subscribe('system', (e) => events.push(e))
    s.dropAll()
    await until(() => events.some((e) => e.type === 'node_down' && e.node === b.node), 5000, 'node_down')
    await a.dirtyWrite('item', { id: 1, v: 'written while apart' })
    await b.dirtyWrite('item', { id: 2, v: 'also apart' })
    await until(() => events.some((e) => e.type === 'node_up' && e.node === b.node), 10_000, 'node_up')
    await until(() => same(dbs, 2), 10_000, 'caught up')
    expect(await b.dirtyRead('item', 1)).toEqual([{ id: 1, v: 'written while apart' }])
  })

  it('heartbeats travel as pulses: a quiet live peer stays up, a silent one is node_down until it speaks', async () => {
    const s = await start()
    servers.push(s)
    const dbs = await nodes(3)
    const [a, b, c] = dbs as [Database, Database, Database]
    await a.createTable('item', { attributes: ['id', 'v'] })
    const room = uniqueName('room')
    await a.join({ room, server: s.url, serverKind, resyncMs: 0, heartbeatMs: 100, peerTimeoutMs: 800 })
    await b.join({ room, server: s.url, serverKind, resyncMs: 0, heartbeatMs: 100, peerTimeoutMs: 800 })
    await c.join({ room, server: s.url, serverKind, resyncMs: 0, heartbeatMs: 600_000 }) // never beats here
    await c.waitForTables(['item'], 10_000)
    await until(() => (a.replication?.connected().length ?? 0) === 2, 5000, 'a sees both')
    const events: SystemEvent[] = []
    a.subscribe('system', (e) => events.push(e))
    await until(() => events.some((e) => e.type === 'node_down' && e.node === c.node), 5000, 'c down')
    // Two more peer timeouts pass (a window of time, so a wait): b's pulses keep it up.
    await new Promise((r) => setTimeout(r, 1600))
    expect(events.filter((e) => e.type === 'node_down').map((e) => e.type === 'node_down' && e.node)).toEqual([c.node])
    await c.dirtyWrite('item', { id: 1, v: 'c speaks' })
    await until(() => events.some((e) => e.type === 'node_up' && e.node === c.node), 5000, 'c up')
    await until(() => same(dbs, 1), 10_000, 'converged')
  })

  it('a member sending bad frames through the server is dropped; the node does not change', async () => {
    const s = await start()
    servers.push(s)
    const [a] = (await nodes(1)) as [Database]
    await a.createTable('item', { attributes: ['id', 'v'] })
    await a.dirtyWrite('item', { id: 1, v: 'kept' })
    const room = uniqueName('room')
    await a.join({ room, server: s.url, serverKind, resyncMs: 0 })
    const events: SystemEvent[] = []
    a.subscribe('system', (e) => events.push(e))
    // The hostile member speaks the transport (awareness, outboxes) but sends garbage frames.
    let closed = 0
    const evil = syncServerTransport({ room, server: s.url, serverKind })
    const stop = await evil.connect((pipe: Pipe) => {
      pipe.onData(() => undefined)
      pipe.onClose(() => closed++)
      pipe.send(Uint8Array.of(MAGIC, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02))
    })
    try {
      await until(() => events.some((e) => e.type === 'peer_rejected'), 10_000, 'peer_rejected')
      // The node's bye travels back through the server: the hostile side's link closes too.
      await until(() => closed === 1, 5000, 'bye')
      expect(a.replication?.connected()).toEqual([])
      expect(await rows(a)).toEqual([{ id: 1, v: 'kept' }])
    } finally {
      stop()
    }
  })
})

it('a sync server and another transport at once: nodes reached only one way converge', async () => {
  const s = await startYWebsocket()
  servers.push(s)
  const net = new Network()
  const dbs = await nodes(3)
  const [a, b, c] = dbs as [Database, Database, Database]
  await a.createTable('item', { attributes: ['id', 'v'] })
  const room = uniqueName('room')
  // a: server only; b: server and the network; c: the network only. a and c meet through b.
  await a.join({ room, server: s.url, resyncMs: 0 })
  await b.join({ room, server: s.url, transport: net.transport(1), resyncMs: 0 })
  await c.join({ room, transport: net.transport(2), resyncMs: 0 })
  net.connect(1, 2)
  await c.waitForTables(['item'], 10_000)
  await a.dirtyWrite('item', { id: 1, v: 'from a' })
  await c.dirtyWrite('item', { id: 2, v: 'from c' })
  await until(() => same(dbs, 2), 10_000, 'converged')
  expect(b.replication?.connected()).toEqual([a.node, c.node].sort())
  expect(has(a) && has(c)).toBe(true)
})
