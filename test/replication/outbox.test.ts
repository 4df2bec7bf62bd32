/**
 * The sync-server transport's envelopes in the room's doc (outbox.ts), with docs passed updates
 * the way the servers do: every update to every client, or (Hocuspocus's Redis extension between
 * instances) a state-vector diff that merges a push and a later delete into one update.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FRAME, group, Outbox, PREFIX, PULSE } from '../../src/replication/outbox.js'

/** A room: docs whose updates reach the others at once (`live`) or only on `sync()` (merged). */
function room(n: number, live: boolean) {
  const docs = Array.from({ length: n }, () => new Y.Doc())
  const got: [string, number[]][][] = docs.map(() => [])
  const boxes = docs.map((doc, i) => new Outbox(doc, `s${String(i)}`, (from, kind, frame) => (got[i] as [string, number[]][]).push([from, frame ? [...frame] : [-kind]]), 50))
  if (live) {
    docs.forEach((doc) =>
      doc.on('update', (u: Uint8Array, origin: unknown) => {
        if (origin === 'server') return
        for (const other of docs) if (other !== doc) Y.applyUpdate(other, u, 'server')
      }),
    )
  }
  const sync = (): void => {
    for (const a of docs) for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)), 'server')
  }
  return { docs, boxes, got, sync }
}

/** Lets the outboxes flush (a microtask) and housekeep (their timers). */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 120))

describe('group', () => {
  it('sends one frame object once to all its recipients, unless that would reorder a recipient’s frames', () => {
    const f = Uint8Array.of(1)
    const g = Uint8Array.of(2)
    const groups = group([
      { to: 'a', kind: FRAME, frame: f },
      { to: 'b', kind: FRAME, frame: g },
      { to: 'b', kind: FRAME, frame: f }, // after g for b: may not join the first group
      { to: 'c', kind: FRAME, frame: f }, // joins the latest group with f
      { to: 'c', kind: FRAME, frame: f }, // the same frame twice to c: sent twice
    ])
    expect(groups.map((x) => [x.to, x.frame?.[0]])).toEqual([
      [['a'], 1],
      [['b'], 2],
      [['b', 'c'], 1],
      [['c'], 1],
    ])
  })
})

describe('Outbox', () => {
  it('delivers every frame in order, to its recipients only, a frame for several sent once', async () => {
    const { docs, boxes, got } = room(4, true)
    const [a] = boxes as [Outbox]
    const shared = new Uint8Array(10_000).fill(7)
    let bytes = 0
    ;(docs[0] as Y.Doc).on('update', (u: Uint8Array) => (bytes += u.length))
    a.post('s1', FRAME, Uint8Array.of(1))
    for (const to of ['s1', 's2', 's3']) a.post(to, FRAME, shared)
    a.post('s2', FRAME, Uint8Array.of(2))
    await settle()
    expect(got[1]?.map(([from, f]) => [from, f.length])).toEqual([
      ['s0', 1],
      ['s0', 10_000],
    ])
    expect(got[2]?.map(([, f]) => f.length)).toEqual([10_000, 1])
    expect(got[3]?.map(([, f]) => f.length)).toEqual([10_000])
    expect(got[0]).toEqual([])
    expect(bytes).toBeLessThan(11_000) // the 10 kB frame once, not three times
  })

  it('deletes nothing before its recipient read it, so a merged push-and-delete loses no frame', async () => {
    const { boxes, got, sync } = room(3, false)
    const [a, b] = boxes as [Outbox, Outbox]
    // Several flushes, each of which would delete the previous one's envelopes if the sender
    // deleted on its own; the recipients see only merged diffs, taken after all of them.
    for (let k = 0; k < 5; k++) {
      a.post('s1', FRAME, Uint8Array.of(k))
      a.post('s2', FRAME, Uint8Array.of(k))
      b.post('s2', FRAME, Uint8Array.of(10 + k))
      await settle()
    }
    sync()
    expect(got[1]?.map(([, f]) => f[0])).toEqual([0, 1, 2, 3, 4])
    expect(got[2]?.filter(([from]) => from === 's0').map(([, f]) => f[0])).toEqual([0, 1, 2, 3, 4])
    expect(got[2]?.filter(([from]) => from === 's1').map(([, f]) => f[0])).toEqual([10, 11, 12, 13, 14])
  })

  it('read envelopes fold into one tombstone, in every doc: an outbox does not grow with use', async () => {
    const { docs, boxes, got } = room(3, true)
    const [a] = boxes as [Outbox]
    for (let k = 0; k < 200; k++) {
      a.post('s1', FRAME, Uint8Array.of(k))
      for (const to of ['s1', 's2']) a.post(to, FRAME, new Uint8Array(100).fill(k))
      await new Promise((r) => setTimeout(r, 0))
    }
    await settle()
    await settle()
    expect(got[1]).toHaveLength(400)
    expect(got[2]).toHaveLength(200)
    for (const doc of docs) {
      const box = doc.getArray(PREFIX + 's0')
      expect(box.length).toBe(0) // every envelope and payload deleted
      let items = 0
      for (let it = box._start; it !== null; it = it.right) items++
      expect(items).toBeLessThanOrEqual(2)
      expect(doc.store.clients.get((docs[0] as Y.Doc).clientID)?.length ?? 0).toBeLessThanOrEqual(2)
    }
  })

  it('a recipient gone: its unread envelopes are deleted by the sender, and a shared payload with them', async () => {
    const { docs, boxes, got } = room(3, true)
    const [a] = boxes as [Outbox]
    ;(boxes[2] as Outbox).stop() // s2 reads nothing more
    const f = Uint8Array.of(9)
    a.post('s1', FRAME, f)
    a.post('s2', FRAME, f)
    await settle()
    expect(got[1]).toHaveLength(1)
    expect((docs[0] as Y.Doc).getArray(PREFIX + 's0').length).toBe(2) // the payload and s2's envelope
    a.forget('s2')
    await settle()
    expect((docs[0] as Y.Doc).getArray(PREFIX + 's0').length).toBe(0)
  })

  it('a payload is deleted once its own recipients read it, whatever follows it unread', async () => {
    const { docs, boxes, got } = room(4, true)
    const [a] = boxes as [Outbox]
    ;(boxes[3] as Outbox).stop()
    const f = Uint8Array.of(4)
    a.post('s1', FRAME, f)
    a.post('s2', FRAME, f)
    a.post('s3', FRAME, Uint8Array.of(5)) // never read
    await settle()
    expect([got[1]?.length, got[2]?.length]).toEqual([1, 1])
    expect((docs[0] as Y.Doc).getArray<Uint8Array>(PREFIX + 's0').toArray().map((e) => e[0])).toEqual([FRAME])
  })

  it('a pulse is one struct for every recipient, replaces the last one, and survives a merged diff', async () => {
    const { docs, boxes, got } = room(4, true)
    const [a] = boxes as [Outbox]
    const a0 = (docs[0] as Y.Doc).clientID
    let updates = 0
    ;(docs[0] as Y.Doc).on('update', () => updates++)
    for (let k = 0; k < 50; k++) {
      a.pulse()
      a.pulse() // the replicator sends a BEAT per peer: one pulse per task
      await new Promise((r) => setTimeout(r, 0))
    }
    await settle()
    expect(updates).toBe(50)
    for (const g of got.slice(1)) expect(g).toEqual(Array.from({ length: 50 }, () => ['s0', [-PULSE]]))
    expect(got[0]).toEqual([])
    for (const doc of docs) {
      expect(doc.getArray<Uint8Array>(PREFIX + 's0').toArray()).toEqual([Uint8Array.of(PULSE)]) // the last only
      expect(doc.store.clients.get(a0)?.length ?? 0).toBeLessThanOrEqual(2) // the rest one tombstone
    }
    // Instances that pass merged diffs: the pulses between two syncs collapse into the last one.
    const m = room(2, false)
    for (let k = 0; k < 3; k++) {
      ;(m.boxes[0] as Outbox).pulse()
      await settle()
    }
    m.sync()
    expect(m.got[1]).toEqual([['s0', [-PULSE]]])
  })

  it('an envelope another app or a hostile client put in the doc is skipped', async () => {
    const { docs, got } = room(2, true)
    const evil = docs[0] as Y.Doc
    evil.getArray(PREFIX + 'x').push([Uint8Array.of(3, 2, 0x73, 0x31, 99), Uint8Array.of(0, 2), Uint8Array.of(0xff), 'text'])
    evil.getArray<Uint8Array>('other').push([Uint8Array.of(0, 2, 0x73, 0x31, 5)])
    evil.getArray<Uint8Array>(PREFIX + 'x').push([Uint8Array.of(0, 2, 0x73, 0x31, 5)]) // a well-formed one
    await settle()
    expect(got[1]).toEqual([['x', [5]]])
  })
})
