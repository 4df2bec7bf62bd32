/**
 * Heartbeats (issue 14, item 7): a peer that goes silent without its link closing (its browser
 * closed, its machine slept: the data channel lingers) is reported `node_down` within the peer
 * timeout; a quiet but live peer is not. A silent peer keeps its link: once it speaks again (it
 * was only busy, or frozen) it is `node_up` again and the two catch up on that link.
 */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type SystemEvent } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function pair(beat: { heartbeatMs: number; peerTimeoutMs?: number }): Promise<{ a: Database; b: Database; net: Network; downs: SystemEvent[] }> {
  const net = new Network()
  const a = await openDatabase({ name: uniqueName('hb') })
  const b = await openDatabase({ name: uniqueName('hb') })
  open.push(a, b)
  await a.createTable('t', { attributes: ['k', 'v'] })
  await a.join({ room: 'hb', resyncMs: 0, transport: net.transport(0), ...beat })
  await b.join({ room: 'hb', resyncMs: 0, transport: net.transport(1), ...beat })
  const downs: SystemEvent[] = []
  a.subscribe('system', (e) => {
    if (e.type === 'node_down') downs.push(e)
  })
  net.connect(0, 1)
  await quiet(net, [a, b])
  expect(a.replication?.connected()).toEqual([b.node])
  return { a, b, net, downs }
}

/** Resolves with the ms until `a` reports `node` down. */
function nodeDown(a: Database, node: string): Promise<number> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const off = a.subscribe('system', (e) => {
      if (e.type === 'node_down' && e.node === node) {
        off()
        resolve(performance.now() - t0)
      }
    })
  })
}

it('a peer gone silent is node_down within the peer timeout', async () => {
  const { a, b } = await pair({ heartbeatMs: 50, peerTimeoutMs: 300 })
  const down = nodeDown(a, b.node)
  // B stops sending and hearing anything; the link stays open (as a dead browser's data channel can).
  b.replication?.partition([a.node])
  const ms = await down
  expect(ms).toBeGreaterThanOrEqual(250)
  expect(ms).toBeLessThan(5000)
  expect(a.replication?.connected()).toEqual([])
})

it('a silent peer that speaks again is node_up on the same link, and both sides catch up', async () => {
  const { a, b, downs } = await pair({ heartbeatMs: 50, peerTimeoutMs: 300 })
  const events: SystemEvent[] = []
  a.subscribe('system', (e) => {
    if (e.type === 'node_up' || e.type === 'inconsistent_database') events.push(e)
  })
  const down = nodeDown(a, b.node)
  // Everything B sends is lost (its thread busy, its frames stuck); B still hears A.
  b.replication?.faults.set({ drop: 1 })
  await down
  await a.dirtyWrite('t', { k: 'a', v: 'while b was down' })
  await b.dirtyWrite('t', { k: 'b', v: 'lost on the way' })
  await expect.poll(() => b.dirtyRead('t', 'a')).toEqual([{ k: 'a', v: 'while b was down' }])
  const up = new Promise<void>((resolve) => {
    const off = a.subscribe('system', (e) => {
      if (e.type === 'node_up' && e.node === b.node) {
        off()
        resolve()
      }
    })
  })
  b.replication?.faults.set({ drop: 0 })
  await up
  // A asks B for what it lacks (SYNC1 on revival): B's write, whose update was dropped, arrives.
  await expect.poll(() => a.dirtyRead('t', 'b')).toEqual([{ k: 'b', v: 'lost on the way' }])
  expect(a.replication?.connected()).toEqual([b.node])
  expect(downs.map((e) => e.type)).toEqual(['node_down'])
  // B never lost A: nothing to reconcile.
  expect(events).toEqual([{ type: 'node_up', node: b.node }])
  await a.dirtyWrite('t', { k: 'a2', v: 'after' })
  await expect.poll(() => b.dirtyRead('t', 'a2')).toEqual([{ k: 'a2', v: 'after' }])
})

it('a live peer with nothing to say stays up (its beats keep it)', async () => {
  const { a, b, downs } = await pair({ heartbeatMs: 50, peerTimeoutMs: 300 })
  // Many timeout periods of silence between the tables.
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 60))
  expect(downs).toEqual([])
  expect(a.replication?.connected()).toEqual([b.node])
  await b.dirtyWrite('t', { k: 1, v: 'still here' })
  await expect.poll(() => a.dirtyRead('t', 1)).toEqual([{ k: 1, v: 'still here' }])
})

it('without heartbeats a silent peer stays up (what the beats fix)', async () => {
  const { a, b, downs } = await pair({ heartbeatMs: 0, peerTimeoutMs: 300 })
  b.replication?.partition([a.node])
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 60))
  expect(downs).toEqual([])
  expect(a.replication?.connected()).toEqual([b.node])
})

it('join refuses a bad heartbeat option', async () => {
  const a = await openDatabase({ name: uniqueName('hb') })
  open.push(a)
  const net = new Network()
  await expect(a.join({ room: 'x', transport: net.transport(0), heartbeatMs: -1 })).rejects.toMatchObject({ code: 'badarg' })
  await expect(a.join({ room: 'x', transport: net.transport(0), peerTimeoutMs: 0 })).rejects.toMatchObject({ code: 'badarg' })
})
