/** The event store across nodes: replicated events, partitions, one order everywhere, stream_conflict, late events in projections. */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type RecordedEvent, type SystemEvent, type Transaction } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from '../replication/network.js'
import { waitForCheckpoint } from '../../src/eventstore/projection.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function cluster(n: number): Promise<{ net: Network; dbs: Database[] }> {
  const net = new Network()
  const dbs: Database[] = []
  for (let i = 0; i < n; i++) {
    const db = await openDatabase({ name: uniqueName('es') })
    open.push(db)
    dbs.push(db)
  }
  // The first node creates the store's tables; the others receive es:event when they join.
  await (dbs[0] as Database).eventStore().append('boot', [{ type: 'Boot' }])
  for (let i = 0; i < n; i++) await (dbs[i] as Database).join({ room: 'es', transport: net.transport(i), resyncMs: 0 })
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) net.connect(i, j)
  await quiet(net, dbs)
  return { net, dbs }
}

/** Resolves once `db`'s stream holds `n` events. */
async function streamHas(db: Database, stream: string, n: number): Promise<RecordedEvent[]> {
  const es = db.eventStore()
  for (;;) {
    const evs = await es.read(stream)
    if (evs.length >= n) return evs
    await new Promise<void>((resolve) => {
      const off = es.subscribe({ from: 'current', stream }, () => {
        off()
        resolve()
      })
      // An event ingested between the read and the subscription.
      void es.read(stream).then((again) => {
        if (again.length >= n) {
          off()
          resolve()
        }
      })
    })
  }
}

const shape = (evs: RecordedEvent[]): unknown[] => evs.map((e) => [e.version, e.type, e.node, e.data])

it('events appended on one node reach the others with the same versions', async () => {
  const { net, dbs } = await cluster(2)
  const [a, b] = dbs as [Database, Database]
  await a.eventStore().append('acc', [{ type: 'Opened' }, { type: 'Deposited', data: 5 }])
  await quiet(net, dbs)
  const onB = await streamHas(b, 'acc', 2)
  expect(shape(onB)).toEqual(shape(await a.eventStore().read('acc')))
  // b appends after them with an exact expectedVersion.
  await b.eventStore().append('acc', [{ type: 'Deposited', data: 7 }], { expectedVersion: 2 })
  await quiet(net, dbs)
  const onA = await streamHas(a, 'acc', 3)
  expect(shape(onA)).toEqual([[1, 'Opened', a.node, null], [2, 'Deposited', a.node, 5], [3, 'Deposited', b.node, 7]])
})

it('two nodes append to one stream while partitioned: after the heal both keep every event in one order, stream_conflict on both, projections see the late events', async () => {
  const { net, dbs } = await cluster(2)
  const [a, b] = dbs as [Database, Database]
  for (const db of dbs) await db.createTable('seen', { attributes: ['key', 'version', 'position'], localContent: true })
  const handle = async (t: Transaction, ev: RecordedEvent): Promise<void> => {
    await t.write('seen', { key: `${ev.node}:${String(ev.data)}`, version: ev.version, position: ev.position })
  }
  for (const db of dbs) db.projection('seen', { handle })
  await a.eventStore().append('acc', [{ type: 'Opened', data: 0 }])
  await quiet(net, dbs)
  await streamHas(b, 'acc', 1)

  const conflicts: [string, SystemEvent][] = []
  a.subscribe('system', (e) => e.type === 'stream_conflict' && conflicts.push(['a', e]))
  b.subscribe('system', (e) => e.type === 'stream_conflict' && conflicts.push(['b', e]))
  net.disconnect(0, 1)
  await quiet(net, dbs)
  // Both accept an append at version 1 (exact within each node), and more.
  await a.eventStore().append('acc', [{ type: 'A', data: 1 }], { expectedVersion: 1 })
  await a.eventStore().append('acc', [{ type: 'A', data: 2 }], { expectedVersion: 2 })
  await b.eventStore().append('acc', [{ type: 'B', data: 1 }], { expectedVersion: 1 })
  await b.eventStore().append('acc', [{ type: 'B', data: 2 }, { type: 'B', data: 3 }], { expectedVersion: 2 })
  await a.eventStore().append('other', [{ type: 'A', data: 9 }])
  const posA = (await a.eventStore().read('acc')).at(-1)?.position as number
  await waitForCheckpoint(await a.eventStore().loaded(), 'seen', posA, 10_000)

  net.connect(0, 1)
  await quiet(net, dbs)
  const ra = await streamHas(a, 'acc', 6)
  const rb = await streamHas(b, 'acc', 6)
  // Every event kept, one order on both nodes (by Lamport number, then node id), versions 1..6.
  expect(shape(rb)).toEqual(shape(ra))
  expect(ra.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6])
  expect(ra.map((e) => `${e.type}${String(e.data)}`).sort()).toEqual(['A1', 'A2', 'B1', 'B2', 'B3', 'Opened0'])
  expect(ra.filter((e) => e.type === 'B').map((e) => e.data)).toEqual([1, 2, 3]) // each node's own order kept
  expect(ra.filter((e) => e.type === 'A').map((e) => e.data)).toEqual([1, 2])
  // Positions are each node's arrival order: gap-free, the late events last.
  for (const db of dbs) {
    const all = [...(await db.eventStore().read('boot')), ...(await db.eventStore().read('acc')), ...(await db.eventStore().read('other'))]
    expect(all.map((e) => e.position).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  }
  // stream_conflict named the stream on both nodes.
  expect(conflicts.filter(([who]) => who === 'a').map(([, e]) => e)).toEqual([expect.objectContaining({ type: 'stream_conflict', stream: 'acc' })])
  expect(conflicts.filter(([who]) => who === 'b').map(([, e]) => e)).toEqual([expect.objectContaining({ type: 'stream_conflict', stream: 'acc' })])
  // Projections on both nodes handled every event once, the late ones included.
  for (const db of dbs) {
    const head = await db.transaction((t) => t.last('es:log'))
    await waitForCheckpoint(await db.eventStore().loaded(), 'seen', head as number, 10_000)
    const seen = await db.dirtyMatchObject('seen', {})
    expect(seen.map((r) => r['key']).sort()).toEqual([`${a.node}:0`, `${a.node}:1`, `${a.node}:2`, `${a.node}:9`, `${b.node}:1`, `${b.node}:2`, `${b.node}:3`, `${a.node}:null`].sort())
  }
  // An aggregate loads the merged stream.
  const Acc = a.aggregate<string[], null>('acc', { initial: () => [], execute: () => [], apply: (s, e) => [...s, `${e.type}${String(e.data)}`] })
  const AccB = b.aggregate<string[], null>('acc', { initial: () => [], execute: () => [], apply: (s, e) => [...s, `${e.type}${String(e.data)}`] })
  expect(await Acc.load('acc')).toEqual(await AccB.load('acc'))
  expect((await Acc.load('acc')).version).toBe(6)
  // Appends go on after the merge with exact versions on each node.
  await b.eventStore().append('acc', [{ type: 'B', data: 4 }], { expectedVersion: 6 })
  await quiet(net, dbs)
  expect(shape(await streamHas(a, 'acc', 7))).toEqual(shape(await b.eventStore().read('acc')))
})

it('a snapshot taken before a late event that sorts before it is not used: the state is the fold of the merged stream', async () => {
  const { net, dbs } = await cluster(2)
  const [a, b] = dbs as [Database, Database]
  const def = { initial: () => [] as string[], execute: (_s: string[], c: string) => [{ type: 'T', data: c }], apply: (s: string[], e: RecordedEvent) => [...s, String(e.data)], snapshotEvery: 1 }
  const [A, B] = [a.aggregate('log', def), b.aggregate('log', def)]
  await A.dispatch('x', 'first')
  await quiet(net, dbs)
  await streamHas(b, 'x', 1)
  const conflicts: string[] = []
  a.subscribe('system', (e) => e.type === 'stream_conflict' && conflicts.push(`a ${e.stream} ${String(e.version)}`))
  b.subscribe('system', (e) => e.type === 'stream_conflict' && conflicts.push(`b ${e.stream} ${String(e.version)}`))
  net.disconnect(0, 1)
  await quiet(net, dbs)
  // Whichever node id sorts first has its event first after the merge: its peer's snapshot goes
  // stale. On that first node the peer's event lands last, after an event it was not appended
  // after: a conflict too.
  await A.dispatch('x', 'a')
  await B.dispatch('x', 'b')
  net.connect(0, 1)
  await quiet(net, dbs)
  await streamHas(a, 'x', 3)
  await streamHas(b, 'x', 3)
  expect(conflicts.sort()).toEqual(a.node < b.node ? ['a x 3', 'b x 2'] : ['a x 2', 'b x 3'])
  const expected = a.node < b.node ? ['first', 'a', 'b'] : ['first', 'b', 'a']
  for (const X of [A, B]) {
    expect(await X.load('x')).toEqual({ state: expected, version: 3 })
    expect(await X.loadFull('x', false)).toEqual({ state: expected, version: 3 })
  }
})

it('nodes that used the store before they first met keep both histories', async () => {
  const net = new Network()
  const a = await openDatabase({ name: uniqueName('esa') })
  const b = await openDatabase({ name: uniqueName('esb') })
  open.push(a, b)
  await a.eventStore().append('s', [{ type: 'A', data: 1 }])
  await b.eventStore().append('s', [{ type: 'B', data: 1 }])
  await b.eventStore().append('t', [{ type: 'B', data: 2 }])
  await a.join({ room: 'first', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'first', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  const sa = await streamHas(a, 's', 2)
  const sb = await streamHas(b, 's', 2)
  expect(shape(sa)).toEqual(shape(sb))
  expect((await streamHas(a, 't', 1)).map((e) => e.data)).toEqual([2])
})
