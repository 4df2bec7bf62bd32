/**
 * An overwrite names the entry it replaces (its origin), not its key. When the update also
 * carries a struct at the origin's clock that the document already has, claiming another key,
 * Yjs skips that struct and integrates the overwrite under the document's entry: the guard must
 * check its records against the document's key, not the update's claim. Before it did, a peer
 * could slip a record under a foreign key past the victim, which then relayed it to every valid
 * peer, and they rejected the victim (the remote fuzz, seed 70003: the valid peer cut off).
 */
import * as encoding from 'lib0/encoding'
import { afterEach, expect, it } from 'vitest'
import * as Y from 'yjs'
import { openDatabase, type Database, type Pipe, type SystemEvent } from '../../src/index.js'
import { keyString } from '../../src/replication/codec.js'
import type { Replicator } from '../../src/replication/replicator.js'
import type { PeerUp } from '../../src/replication/transport.js'
import { encodeMessage } from '../../src/replication/wire.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

/**
 * A V1 update of two structs: `(owner, clock)` claiming `claimedKey` under `root` (a clock the
 * victim already has, under another key), and an overwrite by a new client whose origin is it.
 */
function equivocating(root: string, owner: number, clock: number, claimedKey: string, record: { id: number; v: string }): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 2) // clients
  encoding.writeVarUint(e, 1) // the overwrite's client: 1 struct
  encoding.writeVarUint(e, 4242)
  encoding.writeVarUint(e, 0)
  encoding.writeUint8(e, 8 | 128) // ContentAny, a left origin, no parent info
  encoding.writeVarUint(e, owner)
  encoding.writeVarUint(e, clock)
  encoding.writeVarUint(e, 1)
  encoding.writeAny(e, [record])
  encoding.writeVarUint(e, 1) // the owner's client: 1 struct, at a clock the victim has
  encoding.writeVarUint(e, owner)
  encoding.writeVarUint(e, clock)
  encoding.writeUint8(e, 8 | 32) // ContentAny, parent info: a root and a key
  encoding.writeVarUint(e, 1)
  encoding.writeVarString(e, root)
  encoding.writeVarString(e, claimedKey)
  encoding.writeVarUint(e, 1)
  encoding.writeAny(e, [record])
  encoding.writeVarUint(e, 0) // no deletes
  return encoding.toUint8Array(e)
}

it("an overwrite is checked under the document's entry, not under what the update claims its origin is", async () => {
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

  // The victim's entry of key 1, and an update that says the struct there is key 2's.
  const doc = (a.replication as Replicator).rdoc.doc
  const root = `t:${a.tableInfo('pile', 'cookie') as string}`
  const entry = (doc.getMap(root) as unknown as { _map: Map<string, Y.Item> })._map.get(keyString(1)) as Y.Item
  const sv = Y.encodeStateVector(doc)
  const update = equivocating(root, entry.id.client, entry.id.clock, keyString(2), { id: 2, v: 'evil' })

  let closed = false
  let onData: ((d: Uint8Array) => void) | null = null
  const pipe: Pipe = {
    send: () => undefined,
    onData: (fn) => (onData = fn),
    onClose: () => undefined,
    close: () => (closed = true),
  }
  attach(pipe)
  onData!(encodeMessage({ kind: 'hello', node: 'evil', apart: [] }))
  onData!(encodeMessage({ kind: 'update', update, ack: 1 }))
  await a.replication?.idle()
  await quiet(net, [a, b])

  // Refused by the victim, with nothing applied; the valid peer never sees it and keeps the victim.
  expect(closed).toBe(true)
  expect(rejected.map((r) => r.at)).toEqual(['victim'])
  expect(rejected[0]?.reason).toContain('a record under a foreign key')
  expect(Y.encodeStateVector(doc)).toEqual(sv)
  expect(await a.dirtyRead('pile', 1)).toEqual([{ id: 1, v: 'one' }])
  await a.dirtyWrite('pile', { id: 3, v: 'after' })
  await quiet(net, [a, b])
  expect(net.connected(0, 1)).toBe(true)
  expect(await b.dirtyRead('pile', 3)).toEqual([{ id: 3, v: 'after' }])
  expect(await b.dirtyRead('pile', 1)).toEqual([{ id: 1, v: 'one' }])
})
