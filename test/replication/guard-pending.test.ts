/**
 * What Yjs would keep pending from a peer's update: deletes of clocks the document does not
 * have, and structs after a gap. Kept, they travel in every later `encodeStateAsUpdate`, to every
 * peer, with no bound, and crafted ones made the whole state undecodable (the remote fuzz, seed
 * 90211: "Unexpected case"). The guard leaves such deletes out and reports gaps as unresolved
 * (inbound.ts then asks the peer for what is missing); a stored state that has
 * pending parts (written before the guard) is cleaned when it is loaded.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import * as encoding from 'lib0/encoding'
import { expect, it } from 'vitest'
import * as Y from 'yjs'
import { fileBackend, filesClosed } from '../../src/backend/file/backend.js'
import { fire } from '../../src/backend/requests.js'
import { openDatabase } from '../../src/index.js'
import { inspectUpdate, type DocView } from '../../src/replication/guard.js'
import { uniqueName } from '../node/helpers.js'
import { Network } from './network.js'

function view(doc: Y.Doc): DocView {
  return {
    state: (client) => Y.getState(doc.store, client),
    place: (client, clock) => {
      const structs = doc.store.clients.get(client)
      if (!structs || clock >= Y.getState(doc.store, client)) return null
      const s = structs[Y.findIndexSS(structs, clock)]
      return s instanceof Y.Item ? { root: 't:abc', key: s.parentSub } : 'gc'
    },
  }
}

/** `update` (which deletes nothing) with the given delete set instead of its empty one. */
function withDeletes(update: Uint8Array, ds: [number, [number, number][]][]): Uint8Array {
  expect(update[update.length - 1]).toBe(0)
  const e = encoding.createEncoder()
  encoding.writeUint8Array(e, update.subarray(0, update.length - 1))
  encoding.writeVarUint(e, ds.length)
  for (const [client, ranges] of ds) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, ranges.length)
    for (const [clock, len] of ranges) {
      encoding.writeVarUint(e, clock)
      encoding.writeVarUint(e, len)
    }
  }
  return encoding.toUint8Array(e)
}

function setup(): { victim: Y.Doc; local: number; peer: Y.Doc } {
  const victim = new Y.Doc()
  const m = victim.getMap('t:abc')
  m.set('a', [{ v: 1 }])
  m.set('b', [{ v: 2 }])
  const peer = new Y.Doc()
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(victim))
  return { victim, local: victim.clientID, peer }
}

it('deletes of clocks the document lacks are left out; the deletes it can apply stay, clipped', () => {
  const { victim, local, peer } = setup()
  const before = Y.encodeStateVector(victim)
  peer.getMap('t:abc').set('c', [{ v: 3 }])
  const diff = Y.encodeStateAsUpdate(peer, before)
  // Delete the victim's first entry ('a', clock 0) with a range running far past its clock 2,
  // plus ranges of a client nobody has and one past the peer's own new struct.
  const crafted = withDeletes(diff, [
    [local, [[0, 2 ** 42]]],
    [777, [[0, 1]]],
    [peer.clientID, [[0, 1], [2 ** 40, 3]]],
  ])
  // Applied as it came, Yjs keeps the rest pending and sends it on in every state.
  const trusting = new Y.Doc()
  Y.applyUpdate(trusting, Y.encodeStateAsUpdate(victim))
  Y.applyUpdate(trusting, crafted)
  expect(trusting.store.pendingDs).not.toBeNull()

  const info = inspectUpdate(crafted, undefined, view(victim))
  expect(info.unresolved).toBe(false)
  expect(info.update).not.toEqual(crafted)
  Y.applyUpdate(victim, info.update)
  expect(victim.store.pendingDs).toBeNull()
  expect(victim.store.pendingStructs).toBeNull()
  const m = victim.getMap('t:abc')
  // 'a' and 'b' (clocks 0 and 1 of the victim) deleted, the peer's 'c' (its clock 0) deleted too.
  expect([...m.keys()].sort()).toEqual([])
  expect(Y.decodeUpdate(Y.encodeStateAsUpdate(victim)).ds.clients.get(777)).toBeUndefined()
  const probe = new Y.Doc()
  Y.applyUpdate(probe, Y.encodeStateAsUpdate(victim))
  expect([...probe.getMap('t:abc').keys()]).toEqual([])
})

it('an update whose delete set names only known clocks is applied as it came (the same bytes)', () => {
  const { victim, peer } = setup()
  const before = Y.encodeStateVector(victim)
  peer.getMap('t:abc').delete('a')
  peer.getMap('t:abc').set('d', [{ v: 4 }])
  const diff = Y.encodeStateAsUpdate(peer, before)
  const info = inspectUpdate(diff, undefined, view(victim))
  expect(info.update).toBe(diff)
  Y.applyUpdate(victim, info.update)
  expect([...victim.getMap('t:abc').keys()].sort()).toEqual(['b', 'd'])
})

it('structs after a gap in their client’s clocks are unresolved, also a gap inside a merged update (a Skip)', () => {
  const { victim, peer } = setup()
  const before = Y.encodeStateVector(victim)
  peer.getMap('t:abc').set('e', [{ v: 5 }])
  const first = Y.encodeStateVector(peer)
  const u1 = Y.encodeStateAsUpdate(peer, before)
  peer.getMap('t:abc').set('f', [{ v: 6 }])
  const mid = Y.encodeStateVector(peer)
  peer.getMap('t:abc').set('g', [{ v: 7 }])
  const u2 = Y.encodeStateAsUpdate(peer, first)
  const u3 = Y.encodeStateAsUpdate(peer, mid)
  expect(inspectUpdate(u2, undefined, view(victim)).unresolved).toBe(true)
  // 'e' and 'g' merged: Y.mergeUpdates writes a Skip over 'f'; Yjs would keep 'g' pending.
  const skipping = Y.mergeUpdates([u1, u3])
  expect(Y.decodeUpdate(skipping).structs.some((s) => s.constructor.name === 'Skip')).toBe(true)
  expect(inspectUpdate(skipping, undefined, view(victim)).unresolved).toBe(true)
  // With the part before it, the same structs are resolved.
  Y.applyUpdate(victim, u1)
  expect(inspectUpdate(u2, undefined, view(victim)).unresolved).toBe(false)
  expect(inspectUpdate(u1, undefined, view(victim)).unresolved).toBe(false)
})

it('a stored replication state with pending parts (written before the guard) is cleaned on load', async () => {
  mkdirSync('.tmp', { recursive: true })
  const dir = mkdtempSync(join('.tmp', 'pending-'))
  const name = uniqueName('pend')
  try {
    let db = await openDatabase({ name, dir })
    await db.createTable('x', { attributes: ['k', 'v'] })
    await db.join({ room: 'pending', transport: new Network().transport(0), resyncMs: 0 })
    await db.dirtyWrite('x', { k: 1, v: 'kept' })
    await db.close()
    await filesClosed()
    // A delete of a clock nobody has, as Yjs would have kept it from a peer's update.
    const raw = fileBackend(dir)(name, () => {
      throw new Error('not a fresh node')
    })
    let tx = await raw.transaction(['ydoc'], 'readwrite')
    fire(tx.store('ydoc').add(withDeletes(yUpdateOfNothing(), [[777, [[5, 1]]]]), 99))
    // And structs after a gap (client 778 from clock 1), as Yjs would have kept them: a peer that
    // leaves out updates with gaps would leave out every SYNC2 of this node, which carries them.
    fire(tx.store('ydoc').add(afterGap(), 100))
    await tx.done
    raw.close()
    await filesClosed()

    db = await openDatabase({ name, dir })
    await db.join({ room: 'pending', transport: new Network().transport(0), resyncMs: 0 })
    expect(await db.dirtyRead('x', 1)).toEqual([{ k: 1, v: 'kept' }])
    await db.close()
    await filesClosed()
    const again = fileBackend(dir)(name, () => {
      throw new Error('not a fresh node')
    })
    tx = await again.transaction(['ydoc'], 'readonly')
    const stored = (await tx.store('ydoc').getAll()) as Uint8Array[]
    again.close()
    await filesClosed()
    const probe = new Y.Doc()
    Y.applyUpdate(probe, Y.mergeUpdates(stored))
    expect(probe.store.pendingDs).toBeNull()
    expect(probe.store.pendingStructs).toBeNull()
    expect(probe.store.clients.size).toBeGreaterThan(0)
    expect(probe.store.clients.has(778)).toBe(false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** An update with no structs and no deletes. */
function yUpdateOfNothing(): Uint8Array {
  return Y.encodeStateAsUpdate(new Y.Doc())
}

/** The second of two entries client 778 wrote: a struct at clock 1, after a gap (clock 0). */
function afterGap(): Uint8Array {
  const d = new Y.Doc()
  d.clientID = 778
  d.getMap('t:abc').set('p', [{ v: 1 }])
  const sv = Y.encodeStateVector(d)
  d.getMap('t:abc').set('q', [{ v: 2 }])
  return Y.encodeStateAsUpdate(d, sv)
}
