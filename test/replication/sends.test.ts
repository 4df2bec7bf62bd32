/**
 * What a node sends on its links, counted. Links on one mesh (Pipe.mesh: a sync server's room,
 * where every member hears every other) get no relays: a node passes a peer's update on only to
 * peers off that mesh (over the 100-node sync-server run, relays made every update go out once
 * from every node: issue 19). A burst of updates is acknowledged by one ACK, not one per update.
 */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type Pipe } from '../../src/index.js'
import type { Transport } from '../../src/replication/transport.js'
import { decodeFrame } from '../../src/replication/wire.js'
import { uniqueName } from '../node/helpers.js'
import { Network } from './network.js'
import { until } from './sync-scale.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

/** Node `i`'s transport, its links on `mesh` (if given), counting the UPDATEs and ACKs it sends. */
function counted(net: Network, i: number, sent: { updates: number; acks?: number }, mesh?: object): Transport {
  const inner = net.transport(i)
  return {
    connect: (peerUp) =>
      inner.connect((pipe) => {
        const wrapped: Pipe = {
          ...(mesh ? { mesh } : {}),
          send: (f) => {
            const kind = decodeFrame(f).kind
            if (kind === 'update') sent.updates++
            if (kind === 'ack') sent.acks = (sent.acks ?? 0) + 1
            pipe.send(f)
          },
          onData: (fn) => pipe.onData(fn),
          onClose: (fn) => pipe.onClose(fn),
          close: () => pipe.close(),
        }
        peerUp(wrapped)
      }),
  }
}

async function run(onMesh: boolean): Promise<{ updates: number; rows: number }> {
  const net = new Network()
  const dbs: Database[] = []
  for (let i = 0; i < 3; i++) {
    const db = await openDatabase({ name: uniqueName('mesh') })
    open.push(db)
    dbs.push(db)
  }
  const [a, b, c] = dbs as [Database, Database, Database]
  await a.createTable('item', { attributes: ['id', 'v'] })
  const sentByB = { updates: 0 }
  const room = uniqueName('room')
  await a.join({ room, transport: counted(net, 0, { updates: 0 }, onMesh ? {} : undefined), resyncMs: 0 })
  await b.join({ room, transport: counted(net, 1, sentByB, onMesh ? {} : undefined), resyncMs: 0 })
  await c.join({ room, transport: counted(net, 2, { updates: 0 }, onMesh ? {} : undefined), resyncMs: 0 })
  net.connect(0, 1)
  net.connect(0, 2)
  net.connect(1, 2)
  await c.waitForTables(['item'], 5000)
  await b.waitForTables(['item'], 5000)
  await net.drained()
  sentByB.updates = 0
  for (let i = 0; i < 5; i++) await a.dirtyWrite('item', { id: i, v: 'from a' })
  const has5 = async (db: Database): Promise<boolean> => (await db.dirtyMatchObject('item', {})).length === 5
  await until(async () => (await has5(b)) && (await has5(c)), 5000, 'b and c have a’s writes')
  await net.drained()
  return { updates: sentByB.updates, rows: (await c.dirtyMatchObject('item', {})).length }
}

it('a peer’s updates are not relayed to the others on its mesh; off a mesh they are', async () => {
  expect(await run(true)).toEqual({ updates: 0, rows: 5 })
  const off = await run(false)
  expect(off.rows).toBe(5)
  expect(off.updates).toBeGreaterThanOrEqual(5) // b passes each of a's updates on to c
})

it('a burst of updates is acknowledged by one ACK; a sync transaction still waits for it', async () => {
  const net = new Network()
  const a = await openDatabase({ name: uniqueName('acks') })
  const b = await openDatabase({ name: uniqueName('acks') })
  open.push(a, b)
  await a.createTable('item', { attributes: ['id', 'v'] })
  const byB = { updates: 0, acks: 0 }
  const room = uniqueName('room')
  await a.join({ room, transport: counted(net, 0, { updates: 0 }), resyncMs: 0 })
  await b.join({ room, transport: counted(net, 1, byB), resyncMs: 0 })
  net.connect(0, 1)
  await b.waitForTables(['item'], 5000)
  await net.drained()
  byB.acks = 0
  await Promise.all(Array.from({ length: 20 }, (_, i) => a.dirtyWrite('item', { id: i, v: 'burst' })))
  await until(async () => (await b.dirtyMatchObject('item', {})).length === 20, 5000, 'b has the burst')
  await net.drained()
  expect(byB.acks).toBeGreaterThan(0)
  expect(byB.acks).toBeLessThanOrEqual(3)
  await a.syncTransaction(async (t) => t.write('item', { id: 100, v: 'acked' }))
  expect(await b.dirtyRead('item', 100)).toEqual([{ id: 100, v: 'acked' }])
})
