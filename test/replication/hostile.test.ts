/**
 * Hostile input: 1,000 malformed messages and updates from a peer, each on a fresh connection.
 * Every one is refused with a typed error (a `peer_rejected` system event), the peer is dropped,
 * and the node's tables do not change.
 */
import * as encoding from 'lib0/encoding'
import { afterEach, expect, it } from 'vitest'
import * as Y from 'yjs'
import { openDatabase, type Database, type Pipe, type SystemEvent } from '../../src/index.js'
import { prng } from '../../src/replication/faults.js'
import { checkUpdate } from '../../src/replication/guard.js'
import { chunk, encodeMessage, MAGIC } from '../../src/replication/wire.js'
import { WebnesiaError } from '../../src/errors.js'
import { uniqueName } from '../node/helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

/** A pipe whose far end the test holds. */
function rawPipe(): { pipe: Pipe; inject: (frame: Uint8Array) => void; closed: () => boolean } {
  let onData: ((d: Uint8Array) => void) | null = null
  let onClose: (() => void) | null = null
  let closed = false
  const pipe: Pipe = {
    send: () => undefined,
    onData: (fn) => (onData = fn),
    onClose: (fn) => (onClose = fn),
    close: () => {
      if (closed) return
      closed = true
      onClose?.()
    },
  }
  return { pipe, inject: (f) => onData?.(f), closed: () => closed }
}

function yUpdate(fn: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc()
  fn(doc)
  return Y.encodeStateAsUpdate(doc)
}

/** Crafted V1 updates whose counts do not match their bytes (yjs issue #687's idea in V1). */
function crafted(rnd: () => number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // clients
  encoding.writeVarUint(e, 0x7fffffff) // structs: far more than the bytes that follow
  encoding.writeVarUint(e, Math.floor(rnd() * 1000))
  encoding.writeVarUint(e, 0)
  encoding.writeUint8(e, 8) // ContentAny, no origin: parent info follows
  encoding.writeVarUint(e, 1)
  encoding.writeVarString(e, 'schema')
  encoding.writeVarUint(e, 0xfffffff) // a huge any-array length
  return encoding.toUint8Array(e)
}

it('1,000 malformed messages: typed errors, the peer dropped every time, no state change', async () => {
  const name = uniqueName('h')
  const db = await openDatabase({ name })
  open.push(db)
  await db.createTable('item', { attributes: ['id', 'v'] })
  await db.dirtyWrite('item', { id: 1, v: 'one' })
  let attach!: (p: Pipe) => void
  await db.join({ room: 'h', resyncMs: 0, transport: (a) => ((attach = a), () => undefined) })
  const cookie = db.tableInfo('item', 'cookie') as string
  const before = JSON.stringify(await db.dirtyMatchObject('item', {}))
  const rejected: SystemEvent[] = []
  db.subscribe('system', (e) => {
    if (e.type === 'peer_rejected') rejected.push(e)
  })
  const kinds: ((rnd: () => number) => Uint8Array[])[] = [
    // garbage without the frame marker
    (rnd) => [Uint8Array.from({ length: 1 + Math.floor(rnd() * 50) }, () => Math.floor(rnd() * 256) & 0x7f ? 0x01 : 0)],
    // a frame marker, then garbage
    (rnd) => [Uint8Array.from({ length: 2 + Math.floor(rnd() * 50) }, (_, i) => (i === 0 ? MAGIC : Math.floor(rnd() * 256)))],
    // an update frame carrying random bytes
    (rnd) => [encodeMessage({ kind: 'update', update: Uint8Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)), ack: 0 })],
    // well-formed Yjs updates of shapes webnesia's document never has
    () => [encodeMessage({ kind: 'update', update: yUpdate((d) => d.getText('schema').insert(0, 'x')), ack: 0 })],
    () => [encodeMessage({ kind: 'sync2', update: yUpdate((d) => d.getArray(`t:${cookie}`).insert(0, [1])), ack: 0 } as never)],
    () => [encodeMessage({ kind: 'update', update: yUpdate((d) => d.getMap('evil').set('k', 1)), ack: 0 })],
    () => [encodeMessage({ kind: 'update', update: yUpdate((d) => d.getMap(`t:${cookie}`).set('n1', new Y.Map())), ack: 0 })],
    () => [encodeMessage({ kind: 'update', update: yUpdate((d) => d.getMap(`t:${cookie}`).set('n1', 'not records')), ack: 0 })],
    // crafted counts
    (rnd) => [encodeMessage({ kind: 'update', update: crafted(rnd), ack: 0 })],
    // chunks out of order, or announcing an absurd count
    (rnd) => chunk(new Uint8Array(300 + Math.floor(rnd() * 300)).fill(MAGIC), 100).reverse(),
    // a valid update with records the table cannot hold (unknown attribute)
    (rnd) => [encodeMessage({ kind: 'update', update: yUpdate((d) => d.getMap<unknown>(`t:${cookie}`).set('n1', [{ id: 1, v: rnd(), extra: true }])), ack: 0 })],
    // a peer claiming to be this node
    () => [encodeMessage({ kind: 'hello', node: db.node, apart: [] })],
  ]
  const rnd = prng(687)
  const N = 1000
  for (let i = 0; i < N; i++) {
    const { pipe, inject, closed } = rawPipe()
    attach(pipe)
    inject(encodeMessage({ kind: 'hello', node: `evil-${String(i)}`, apart: [] }))
    const frames = (kinds[i % kinds.length] as (r: () => number) => Uint8Array[])(rnd)
    for (const f of frames) if (!closed()) inject(f)
    await db.replication?.idle()
    expect(closed(), `message ${String(i)} (kind ${String(i % kinds.length)}) was accepted`).toBe(true)
  }
  expect(rejected.length).toBe(N)
  expect(JSON.stringify(await db.dirtyMatchObject('item', {}))).toBe(before)
  expect(db.systemInfo('tables')).toEqual(['item'])
})

it('checkUpdate: the crafted counts are refused before Yjs sees them, valid updates pass', () => {
  const rnd = prng(1)
  expect(() => checkUpdate(crafted(rnd))).toThrow(WebnesiaError)
  const ok = yUpdate((d) => {
    d.getMap('schema').set('t', { name: 't' })
    d.getMap('t:abc').set('s"k"', [{ k: 'k', d: new Uint8Array([1, 2]) }])
    d.getMap('t:abc').delete('s"k"')
  })
  expect([...checkUpdate(ok)].sort()).toEqual(['schema', 't:abc'])
})

it('checkUpdate: a GC run ending past 2^53 is refused (Yjs would take it, its clocks no longer exact)', () => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // one client
  encoding.writeVarUint(e, 2) // two structs
  encoding.writeVarUint(e, 7) // client 7
  encoding.writeVarUint(e, 0) // from clock 0
  for (let i = 0; i < 2; i++) {
    encoding.writeUint8(e, 0) // a GC
    encoding.writeVarUint(e, 2 ** 52) // of length 2^52: the second ends at 2^53
  }
  encoding.writeVarUint(e, 0) // no deleted ranges
  const gc = encoding.toUint8Array(e)
  expect(() => checkUpdate(gc)).toThrow(/clock out of range/)
  // What the check prevents: the document takes it, and its clock for client 7 is past the
  // integers a double holds exactly (every later clock of that client is approximate).
  const d = new Y.Doc()
  Y.applyUpdate(d, gc)
  expect(Number.isSafeInteger(Y.getState(d.store, 7))).toBe(false)
})
