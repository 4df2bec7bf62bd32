/**
 * Where an overwrite lands. It names the entry it replaces (its origin), not its key, so the
 * guard finds its key through the origin, and checks its records against that key.
 *
 * 1. When the update also carries a struct at the origin's clock that the document already has,
 *    claiming another key, Yjs skips that struct and integrates the overwrite under the
 *    document's entry: the key is the document's. Before, a peer could slip a record under a
 *    foreign key past the victim, which relayed it to every valid peer, and they rejected the
 *    victim (the remote fuzz, seed 70003: the valid peer cut off).
 * 2. Structs after a gap in their client's clocks: Yjs would keep them pending and integrate
 *    them once the gap fills, unchecked, under whatever the filling update put at their origin.
 *    They are left out, and the peer is asked (SYNC1) for what this node lacks.
 * 3. That request keeps a link without anti-entropy from stalling: an update that overtook the
 *    one it follows (relayed by another path) comes back whole in the peer's SYNC2.
 */
import * as encoding from 'lib0/encoding'
import { afterEach, expect, it } from 'vitest'
import * as Y from 'yjs'
import { openDatabase, type Database, type Pipe, type SystemEvent } from '../../src/index.js'
import { keyString } from '../../src/replication/codec.js'
import type { Replicator } from '../../src/replication/replicator.js'
import type { PeerUp } from '../../src/replication/transport.js'
import { inspectUpdate } from '../../src/replication/guard.js'
import { decodeFrame, encodeMessage } from '../../src/replication/wire.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

type Rec = { id: number; v: string }
/** A struct of a V1 update: an entry of `root` under `key`, or an overwrite of `origin`. */
type Struct = { clock: number; rec: Rec } & ({ root: string; key: string } | { origin: [number, number] })

/** A V1 update: per client, its structs (consecutive clocks from the first), no deletes. */
function v1(sections: [number, Struct[]][]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, sections.length)
  for (const [client, structs] of sections) {
    encoding.writeVarUint(e, structs.length)
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, (structs[0] as Struct).clock)
    for (const s of structs) {
      if ('origin' in s) {
        encoding.writeUint8(e, 8 | 128) // ContentAny, a left origin, no parent info
        encoding.writeVarUint(e, s.origin[0])
        encoding.writeVarUint(e, s.origin[1])
      } else {
        encoding.writeUint8(e, 8 | 32) // ContentAny, parent info: a root and a key
        encoding.writeVarUint(e, 1)
        encoding.writeVarString(e, s.root)
        encoding.writeVarString(e, s.key)
      }
      encoding.writeVarUint(e, 1)
      encoding.writeAny(e, [s.rec])
    }
  }
  encoding.writeVarUint(e, 0) // no deletes
  return encoding.toUint8Array(e)
}

/**
 * A victim `a` (a bag table `pile` holding { id: 1 }) and a valid peer `b`, met, without
 * anti-entropy; `evil(frames)` sends frames from a third peer on a fresh link to `a` and waits
 * until the two settle. `rejected` lists who rejected whom.
 */
async function cluster(): Promise<{
  a: Database
  b: Database
  net: Network
  doc: Y.Doc
  root: string
  rejected: { at: string; reason: string }[]
  evil: (updates: Uint8Array[], answer?: Y.Doc) => Promise<{ closed: boolean; sent: string[]; acks: number[] }>
}> {
  const net = new Network()
  const a = await openDatabase({ name: uniqueName('victim') })
  const b = await openDatabase({ name: uniqueName('valid') })
  open.push(a, b)
  await a.createTable('pile', { attributes: ['id', 'v'], type: 'bag' })
  await a.dirtyWrite('pile', { id: 1, v: 'one' })
  let attach!: PeerUp
  const t0 = net.transport(0)
  await a.join({ room: 'o', resyncMs: 0, transport: { connect: (up) => ((attach = up), t0.connect(up)) } })
  await b.join({ room: 'o', resyncMs: 0, transport: net.transport(1) })
  net.connect(0, 1)
  await quiet(net, [a, b])
  expect(await b.dirtyRead('pile', 1)).toEqual([{ id: 1, v: 'one' }])
  const rejected: { at: string; reason: string }[] = []
  for (const [at, db] of [['victim', a], ['valid', b]] as const) {
    db.subscribe('system', (e: SystemEvent) => {
      if (e.type === 'peer_rejected') rejected.push({ at, reason: e.reason })
    })
  }
  /**
   * `answer`: the third peer's document, from which it answers the SYNC1s that come once its
   * updates are sent (an honest peer; the one its HELLO draws goes unanswered).
   */
  const evil = async (updates: Uint8Array[], answer?: Y.Doc): Promise<{ closed: boolean; sent: string[]; acks: number[] }> => {
    let closed = false
    let sent: string[] = []
    let answering = false
    const acks: number[] = []
    let onData: ((d: Uint8Array) => void) | null = null
    const pipe: Pipe = {
      send: (d) => {
        const m = decodeFrame(d)
        sent.push(m.kind)
        if (m.kind === 'ack') acks.push(m.ack)
        if (m.kind === 'sync1' && answer && answering) {
          const update = Y.encodeStateAsUpdate(answer, m.sv)
          queueMicrotask(() => onData?.(encodeMessage({ kind: 'sync2', update })))
        }
      },
      onData: (fn) => (onData = fn),
      onClose: () => undefined,
      close: () => (closed = true),
    }
    attach(pipe)
    onData!(encodeMessage({ kind: 'hello', node: 'evil', apart: [] }))
    await a.replication?.idle()
    sent = []
    answering = true
    for (const [i, update] of updates.entries()) if (!closed) onData!(encodeMessage({ kind: 'update', update, ack: i + 1 }))
    await a.replication?.idle()
    await quiet(net, [a, b])
    return { closed, sent, acks }
  }
  const doc = (a.replication as Replicator).rdoc.doc
  return { a, b, net, doc, root: `t:${a.tableInfo('pile', 'cookie') as string}`, rejected, evil }
}

/** The valid peer still takes the victim's commits, and holds `pile`'s key 1 as it was. */
async function stillConverges(a: Database, b: Database, net: Network): Promise<void> {
  expect(await a.dirtyRead('pile', 1)).toEqual([{ id: 1, v: 'one' }])
  await a.dirtyWrite('pile', { id: 3, v: 'after' })
  await quiet(net, [a, b])
  expect(net.connected(0, 1)).toBe(true)
  expect(await b.dirtyRead('pile', 3)).toEqual([{ id: 3, v: 'after' }])
  expect(await b.dirtyRead('pile', 1)).toEqual([{ id: 1, v: 'one' }])
}

it("an overwrite is checked under the document's entry, not under what the update claims its origin is", async () => {
  const { a, b, net, doc, root, rejected, evil } = await cluster()
  // The victim's entry of key 1, and an update that says the struct there is key 2's.
  const entry = (doc.getMap(root) as unknown as { _map: Map<string, Y.Item> })._map.get(keyString(1)) as Y.Item
  const { client, clock } = entry.id
  const sv = Y.encodeStateVector(doc)
  const rec = { id: 2, v: 'evil' }
  const update = v1([
    [4242, [{ clock: 0, origin: [client, clock], rec }]],
    [client, [{ clock, root, key: keyString(2), rec }]],
  ])
  const { closed } = await evil([update])
  // Refused by the victim, with nothing applied; the valid peer never sees it and keeps the victim.
  expect(closed).toBe(true)
  expect(rejected.map((r) => r.at)).toEqual(['victim'])
  expect(rejected[0]?.reason).toContain('a record under a foreign key')
  expect(Y.encodeStateVector(doc)).toEqual(sv)
  await stillConverges(a, b, net)
})

it('structs after a gap are left out (Yjs would integrate them unchecked once it fills), and the peer is asked for what is missing', async () => {
  const { a, b, net, doc, root, rejected, evil } = await cluster()
  // First an overwrite of client 5555's clock 1, which claims key 2 there, after a gap (clock 0);
  // then the gap filled, with key 1 at that clock: the pending overwrite would land under key 1.
  const rec = { id: 2, v: 'evil' }
  const early = v1([
    [4242, [{ clock: 0, origin: [5555, 1], rec }]],
    [5555, [{ clock: 1, root, key: keyString(2), rec }]],
  ])
  const filling = v1([[5555, [{ clock: 0, root, key: keyString(9), rec: { id: 9, v: 'nine' } }, { clock: 1, root, key: keyString(1), rec: { id: 1, v: 'uno' } }]]])
  const { closed, sent } = await evil([early, filling])
  // Nothing of the early update entered: no record under a foreign key, nobody rejected.
  const ones = await a.dirtyRead('pile', 1)
  expect(ones.every((r) => r.id === 1)).toBe(true)
  expect(rejected).toEqual([])
  expect(doc.store.pendingStructs).toBeNull()
  expect(Y.getState(doc.store, 4242)).toBe(0)
  // The filling update is a valid one: taken, and relayed.
  expect(await a.dirtyRead('pile', 9)).toEqual([{ id: 9, v: 'nine' }])
  expect(await b.dirtyRead('pile', 9)).toEqual([{ id: 9, v: 'nine' }])
  expect((await b.dirtyRead('pile', 1)).every((r) => r.id === 1)).toBe(true)
  // The victim asked the peer for what it lacks (SYNC1; this peer never answers), acknowledged
  // the filling update, and kept the link.
  expect(sent.filter((k) => k !== 'beat')).toEqual(['sync1', 'ack'])
  expect(closed).toBe(false)
  expect(net.connected(0, 1)).toBe(true)
})

it('an update that overtook the one it follows does not stall a link without anti-entropy: the SYNC1 it draws brings both', async () => {
  const { a, b, net, doc, root, rejected, evil } = await cluster()
  // An honest third peer, with two commits after what the victim has; only the second reaches
  // the victim at first (the first went by a slower path that is then lost).
  const peer = new Y.Doc()
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
  peer.getMap(root).set(keyString(5), [{ id: 5, v: 'five' }])
  const between = Y.encodeStateVector(peer)
  peer.getMap(root).set(keyString(6), [{ id: 6, v: 'six' }])
  const second = Y.encodeStateAsUpdate(peer, between)
  const { sent, acks } = await evil([second], peer)
  expect(rejected).toEqual([])
  // Asked once; the update is acknowledged once the SYNC2 that covers it is committed.
  expect(sent.filter((k) => k !== 'beat')).toEqual(['sync1', 'ack'])
  expect(acks).toEqual([1])
  expect(await a.dirtyRead('pile', 5)).toEqual([{ id: 5, v: 'five' }])
  expect(await a.dirtyRead('pile', 6)).toEqual([{ id: 6, v: 'six' }])
  expect(doc.store.pendingStructs).toBeNull()
  await quiet(net, [a, b])
  expect(await b.dirtyRead('pile', 6)).toEqual([{ id: 6, v: 'six' }])
})

/** An update from a copy of `doc` with `fn` applied (a peer's transaction), by client `client`. */
function editOf(doc: Y.Doc, client: number, fn: (d: Y.Doc) => void): Uint8Array {
  const d = new Y.Doc()
  d.clientID = client
  Y.applyUpdate(d, Y.encodeStateAsUpdate(doc))
  const sv = Y.encodeStateVector(d)
  fn(d)
  return Y.encodeStateAsUpdate(d, sv)
}

it('a node without a copy checks the records it would relay against the schema’s definition, or the last one it knew', async () => {
  const { a, b, net, doc, root, rejected, evil } = await cluster()
  const foreign = (client: number): Uint8Array => editOf(doc, client, (d) => d.getMap(root).set(keyString(3), [{ id: 4, v: 'evil' }]))
  // The victim drops its copy: the table lives on at the valid peer, in the schema.
  await a.delTableCopy('pile', a.node)
  await quiet(net, [a, b])
  expect(a.systemInfo('tables')).toEqual([])
  const first = await evil([foreign(7001)])
  expect(first.closed).toBe(true)
  expect(rejected.map((r) => r.at)).toEqual(['victim'])
  expect(rejected[0]?.reason).toContain('pile: a record under a foreign key')
  // A peer deletes the table from the schema (peers may): the victim still knows its definition.
  const { closed } = await evil([editOf(doc, 7002, (d) => d.getMap('schema').delete('pile')), foreign(7003)])
  expect(closed).toBe(true)
  expect(rejected.map((r) => r.at)).toEqual(['victim', 'victim'])
  expect(b.systemInfo('tables')).toEqual([])
  expect(net.connected(0, 1)).toBe(true)
})

it('records of a table the same update creates are checked against the definition it brings', async () => {
  const { a, b, net, doc, rejected, evil } = await cluster()
  const cookie = 'ck-fresh-0001'
  const create = (d: Y.Doc, recs: { id: number; v: string }[]): void => {
    d.getMap('schema').set('fresh', { name: 'fresh', attributes: ['id', 'v'], type: 'set', index: [], recordName: 'fresh', cookie, masterNodes: [] })
    d.getMap(`t:${cookie}`).set(keyString(1), recs)
  }
  const sv = Y.encodeStateVector(doc)
  const bad = await evil([editOf(doc, 7101, (d) => create(d, [{ id: 2, v: 'foreign' }]))])
  expect(bad.closed).toBe(true)
  expect(rejected.map((r) => r.at)).toEqual(['victim'])
  expect(rejected[0]?.reason).toContain('fresh: a record under a foreign key')
  expect(Y.encodeStateVector(doc)).toEqual(sv)
  expect(a.systemInfo('tables')).toEqual(['pile'])
  // The same, with a record that fits: the table and its record reach both nodes.
  const good = await evil([editOf(doc, 7102, (d) => create(d, [{ id: 1, v: 'fits' }]))])
  expect(good.closed).toBe(false)
  expect(rejected.map((r) => r.at)).toEqual(['victim'])
  expect(await b.dirtyRead('fresh', 1)).toEqual([{ id: 1, v: 'fits' }])
  expect(net.connected(0, 1)).toBe(true)
})

it('an overwrite whose origin is in a GC run of the same update is placed there (Yjs makes it GC too), not unresolved', () => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 2) // clients
  encoding.writeVarUint(e, 1) // client 901: one item, after (900, 1)
  encoding.writeVarUint(e, 901)
  encoding.writeVarUint(e, 0)
  encoding.writeUint8(e, 8 | 128)
  encoding.writeVarUint(e, 900)
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint(e, 1)
  encoding.writeAny(e, [{ v: 1 }])
  encoding.writeVarUint(e, 1) // client 900: a GC run of 2
  encoding.writeVarUint(e, 900)
  encoding.writeVarUint(e, 0)
  encoding.writeUint8(e, 0)
  encoding.writeVarUint(e, 2)
  encoding.writeVarUint(e, 0) // no deletes
  const update = encoding.toUint8Array(e)
  const empty = new Y.Doc()
  const view = { state: (client: number) => Y.getState(empty.store, client), place: () => null }
  expect(inspectUpdate(update, undefined, view).unresolved).toBe(false)
  // Yjs takes it whole: nothing pending, the item is GC.
  Y.applyUpdate(empty, update)
  expect(empty.store.pendingStructs).toBeNull()
  expect(Y.getState(empty.store, 901)).toBe(1)
})
