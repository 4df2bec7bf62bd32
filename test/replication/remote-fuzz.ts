/**
 * Hostile remote input at scale (issue 14, item 4): generators of malformed replication frames
 * and Yjs updates, most of them mutations of valid ones (truncated, bit-flipped, oversized
 * counts, spliced), plus deep nesting, wrong types under the known roots, overwrites that carry
 * no parent (their origin names it), chunking attacks and the inputs of yjs issues #687 / #479 /
 * #498. {@link fuzzRemote} feeds each to a victim node over a fresh link (a peer of its own,
 * after a valid HELLO), beside a valid peer on the simulated network, and checks after each:
 * rejected → the link closed, a `peer_rejected` event, the victim's tables and document exactly
 * as before; accepted (a mutation that stayed valid) → counted. At the end: the victim's disc
 * equals its memory (reopened), and the valid peer still converges with it both ways.
 *
 * Diagnostics: `FUZZ_PROGRESS=1` (the document's size every 250 cases), `FUZZ_DEBUG=1` (each
 * accepted case), `FUZZ_GROWTH=1` (each case that grew the document by more than 2 kB),
 * `FUZZ_DUMP=<file>` (the starting state and frames of a case that left the document undecodable,
 * as hex, to replay it). After every case the victim's document keeps no deletes pending (of
 * clocks it lacks: guard.ts), its whole state decodes into a fresh document, and the valid peer
 * has not rejected the victim (what the victim accepted, it relays: seed 70003 once slipped a
 * record under a foreign key past it, guard-origin.test.ts).
 */
import { writeFileSync } from 'node:fs'
import * as encoding from 'lib0/encoding'
import { expect } from 'vitest'
import * as Y from 'yjs'
import { openDatabase, type Database, type Pipe, type SystemEvent } from '../../src/index.js'
import { keyString } from '../../src/replication/codec.js'
import { prng } from '../../src/replication/faults.js'
import type { Replicator } from '../../src/replication/replicator.js'
import type { PeerUp } from '../../src/replication/transport.js'
import { chunk, encodeMessage, MAGIC } from '../../src/replication/wire.js'
import { canonical } from '../../src/storage/term.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

type Rnd = () => number
const LIMIT_MS = 30_000
/** What a generator knows of the victim. */
export interface Target {
  doc: Y.Doc
  set: string
  bag: string
  node: string
}
/** One generator: frames to send after HELLO. */
export interface Gen {
  name: string
  make(rnd: Rnd, t: Target): Uint8Array[]
}

const int = (rnd: Rnd, n: number): number => Math.floor(rnd() * n)
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[int(rnd, xs.length)] as T
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16))

let clients = 1
/** Client ids of the generated documents (deterministic, unlike Yjs' random ones). */
const nextClient = (): number => (clients = (clients * 48271) % 0x7fffffff)

/** A copy of the victim's document with `fn` applied; returns the difference as a V1 update. */
function edit(t: Target, fn: (d: Y.Doc) => void): Uint8Array {
  const d = new Y.Doc()
  d.clientID = nextClient()
  Y.applyUpdate(d, Y.encodeStateAsUpdate(t.doc))
  const sv = Y.encodeStateVector(d)
  fn(d)
  const u = Y.encodeStateAsUpdate(d, sv)
  d.destroy()
  return u
}

function fresh(fn: (d: Y.Doc) => void): Uint8Array {
  const d = new Y.Doc()
  d.clientID = nextClient()
  fn(d)
  const u = Y.encodeStateAsUpdate(d)
  d.destroy()
  return u
}

/** Valid updates: each would be accepted as it is. */
function validUpdate(rnd: Rnd, t: Target): Uint8Array {
  const k = 1000 + int(rnd, 50)
  switch (int(rnd, 5)) {
    case 0: {
      // Everything (a no-op). An accepted mutation of it (a segment duplicated: the same structs
      // again, under later clocks) adds as much as it copies, so mutating the whole document case
      // after case grows it exponentially: past 64 KiB, an edit stands in for it.
      const all = Y.encodeStateAsUpdate(t.doc)
      if (all.length <= 64 * 1024) return all
      return edit(t, (d) => d.getMap(`t:${t.set}`).set(keyString(k), [{ id: k, v: 'again' }]))
    }
    case 1:
      return edit(t, (d) => d.getMap(`t:${t.set}`).set(keyString(k), [{ id: k, v: `v${String(int(rnd, 1e6))}` }]))
    case 2: // an overwrite: its origin names the parent, the update does not
      return edit(t, (d) => d.getMap(`t:${t.set}`).set(keyString(1), [{ id: 1, v: 'changed' }]))
    case 3:
      return edit(t, (d) => d.getMap(`t:${t.bag}`).set(keyString(k), [{ id: k, v: 1 }, { id: k, v: 2 }]))
    default:
      return edit(t, (d) => d.getMap(`t:${t.set}`).delete(keyString(2)))
  }
}

/** A valid frame of any kind. */
function validFrame(rnd: Rnd, t: Target): Uint8Array {
  switch (int(rnd, 5)) {
    case 0:
      return encodeMessage({ kind: 'sync1', sv: Y.encodeStateVector(t.doc) })
    case 1:
      return encodeMessage({ kind: 'sync2', update: validUpdate(rnd, t) })
    case 2:
      return encodeMessage({ kind: 'ack', ack: int(rnd, 100) })
    case 3:
      return encodeMessage({ kind: 'hello', node: `peer-${String(int(rnd, 9))}`, apart: ['a', 'b'] })
    default:
      return encodeMessage({ kind: 'update', update: validUpdate(rnd, t), ack: int(rnd, 100) })
  }
}

/** Byte mutations of a valid buffer. */
const mutations: ((rnd: Rnd, b: Uint8Array) => Uint8Array)[] = [
  // truncated
  (rnd, b) => b.slice(0, int(rnd, b.length)),
  // bit-flipped (1 to 8 bits)
  (rnd, b) => {
    const c = b.slice()
    for (let i = 1 + int(rnd, 8); i > 0; i--) {
      const at = int(rnd, c.length)
      c[at] = (c[at] as number) ^ (1 << int(rnd, 8))
    }
    return c
  },
  // an oversized count spliced in (or written over a byte)
  (rnd, b) => {
    const at = int(rnd, b.length)
    const big = pick(rnd, [hex('ffffffff0f'), hex('ffffffffffffff7f'), hex('80808080808001'), hex('ff7f')])
    const keep = rnd() < 0.5 ? at : at + 1
    return Uint8Array.from([...b.subarray(0, at), ...big, ...b.subarray(Math.min(keep, b.length))])
  },
  // a segment duplicated
  (rnd, b) => {
    const i = int(rnd, b.length)
    const j = i + int(rnd, b.length - i + 1)
    return Uint8Array.from([...b.subarray(0, j), ...b.subarray(i, j), ...b.subarray(j)])
  },
  // random bytes in place
  (rnd, b) => {
    const c = b.slice()
    const at = int(rnd, c.length)
    for (let i = at; i < Math.min(c.length, at + 1 + int(rnd, 6)); i++) c[i] = int(rnd, 256)
    return c
  },
]

function mutate(rnd: Rnd, b: Uint8Array): Uint8Array {
  let out = b
  for (let i = 1 + int(rnd, 2); i > 0; i--) out = pick(rnd, mutations)(rnd, out.length > 0 ? out : b)
  return out
}

/** A value nested `depth` deep in lib0's any encoding (arrays or objects). */
function nested(depth: number, obj: boolean): Uint8Array {
  const e = encoding.createEncoder()
  for (let i = 0; i < depth; i++) {
    if (obj) {
      encoding.writeUint8(e, 118)
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, 'v')
    } else {
      encoding.writeUint8(e, 117)
      encoding.writeVarUint(e, 1)
    }
  }
  encoding.writeUint8(e, 126)
  return encoding.toUint8Array(e)
}

/** A V1 update with one map entry `key` under `root` whose ContentAny holds `values` (raw any bytes). */
function rawEntry(root: string, key: string, values: Uint8Array[], client = 424242): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // clients
  encoding.writeVarUint(e, 1) // structs
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, 0) // clock
  encoding.writeUint8(e, 8 | 32) // ContentAny, parentSub, no origins
  encoding.writeVarUint(e, 1) // parent is a root name
  encoding.writeVarString(e, root)
  encoding.writeVarString(e, key)
  encoding.writeVarUint(e, values.length)
  for (const v of values) encoding.writeUint8Array(e, v)
  encoding.writeVarUint(e, 0) // delete set: no clients
  return encoding.toUint8Array(e)
}

/** Crafted V1 counts (yjs #687's idea in V1): far more structs / values than bytes. */
function crafted(rnd: Rnd): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint(e, 0x7fffffff)
  encoding.writeVarUint(e, int(rnd, 1000))
  encoding.writeVarUint(e, 0)
  encoding.writeUint8(e, 8 | 32)
  encoding.writeVarUint(e, 1)
  encoding.writeVarString(e, 'schema')
  encoding.writeVarString(e, 'k')
  encoding.writeVarUint(e, 0xfffffff)
  return encoding.toUint8Array(e)
}

const ISSUE_INPUTS = [
  hex('00010000000001000100010200001602000001fdffffffff7f0000'), // yjs #687 (V2, given as V1 here)
  Uint8Array.from(atob('garbagedoc'), (c) => c.charCodeAt(0)), // yjs #479
  new Uint8Array(0), // yjs #498
]

const wrap = (rnd: Rnd, update: Uint8Array): Uint8Array =>
  rnd() < 0.5 ? encodeMessage({ kind: 'update', update, ack: int(rnd, 5) }) : encodeMessage({ kind: 'sync2', update })

/** Every generator. */
export const GENERATORS: Gen[] = [
  { name: 'frame mutated', make: (rnd, t) => [mutate(rnd, validFrame(rnd, t))] },
  { name: 'update mutated', make: (rnd, t) => [wrap(rnd, mutate(rnd, validUpdate(rnd, t)))] },
  { name: 'state vector mutated', make: (rnd, t) => [encodeMessage({ kind: 'sync1', sv: mutate(rnd, Y.encodeStateVector(t.doc)) })] },
  {
    name: 'chunks mutated',
    make: (rnd, t) => {
      const big = encodeMessage({ kind: 'update', update: edit(t, (d) => d.getMap(`t:${t.set}`).set(keyString(7), [{ id: 7, v: 'x'.repeat(3000) }])), ack: 0 })
      const parts = chunk(big, 400 + int(rnd, 600))
      const at = int(rnd, parts.length)
      switch (int(rnd, 4)) {
        case 0:
          parts[at] = mutate(rnd, parts[at] as Uint8Array)
          return parts
        case 1:
          return parts.reverse()
        case 2:
          return [...parts.slice(0, at + 1), ...chunk(big, 300)]
        default:
          return parts.filter((_, i) => i !== at).concat(mutate(rnd, big))
      }
    },
  },
  {
    name: 'deep nesting',
    make: (rnd, t) => {
      const depth = pick(rnd, [65, 200, 5000, 100_000])
      const root = pick(rnd, [`t:${t.set}`, 'schema', `t:${t.bag}`])
      return [wrap(rnd, rawEntry(root, keyString(5), [nested(depth, rnd() < 0.5)]))]
    },
  },
  {
    name: 'wrong types under known roots',
    make: (rnd, t) => {
      const s = `t:${t.set}`
      const b = `t:${t.bag}`
      const cases: (() => Uint8Array)[] = [
        () => edit(t, (d) => d.getMap('schema').set('item', 'not a definition')),
        () => edit(t, (d) => d.getMap('schema').set('item', [1, 2])),
        () => edit(t, (d) => d.getMap('copies').set(`item\u0000${t.node}`, 5)),
        () => edit(t, (d) => d.getMap('copies').set('x\u0000y', { a: 1 })),
        () => edit(t, (d) => d.getMap(s).set(keyString(1), { id: 1 } as never)),
        () => edit(t, (d) => d.getMap(s).set(keyString(1), 'text' as never)),
        () => edit(t, (d) => d.getMap(s).set(keyString(1), [1, 2] as never)),
        () => edit(t, (d) => d.getMap(s).set(keyString(1), [{ id: 1, v: 1, extra: 2 }])),
        () => edit(t, (d) => d.getMap(s).set(keyString(1), [{ id: 2, v: 'foreign key' }])),
        () => edit(t, (d) => d.getMap(s).set(keyString(1), [{ id: 1, v: 1 }, { id: 1, v: 2 }])),
        () => edit(t, (d) => d.getMap(s).set('not a key string', [{ id: 1, v: 1 }])),
        () => edit(t, (d) => d.getMap(s).set(keyString(9), [{ id: 9, v: { '\u0000': ['t', 'Int32Array', new Uint8Array(3)] } }])),
        () => edit(t, (d) => d.getMap(s).set(keyString(9), [{ id: 9, v: { '\u0000': ['zz', 1] } }])),
        () => edit(t, (d) => d.getMap(s).set(keyString(9), new Y.Map() as never)),
        () => edit(t, (d) => d.getMap(b).set(keyString(3), [{ id: 4, v: 1 }])),
        () => edit(t, (d) => d.getText(s).insert(0, 'x')),
        () => edit(t, (d) => d.getArray('schema').insert(0, [1])),
        () => edit(t, (d) => d.getXmlFragment('copies').insert(0, [new Y.XmlText('x')])),
        () => edit(t, (d) => d.getMap(s).set(keyString(9), new Y.Doc() as never)),
        () => fresh((d) => d.getMap('evil').set('k', 1)),
        () => rawEntry(s, keyString(1), [hex('7a0000000000000001')]), // a bigint
        () => rawEntry(s, keyString(1), [hex('75020101')]),
      ]
      return [wrap(rnd, pick(rnd, cases)())]
    },
  },
  {
    name: 'issue inputs (#687, #479, #498)',
    make: (rnd) => {
      const u = rnd() < 0.6 ? pick(rnd, ISSUE_INPUTS) : crafted(rnd)
      return [rnd() < 0.2 ? Uint8Array.from([MAGIC, 4, ...u]) : wrap(rnd, u)]
    },
  },
  {
    name: 'hello attacks',
    make: (rnd, t) =>
      pick(rnd, [
        () => [encodeMessage({ kind: 'hello', node: t.node, apart: [] })],
        () => [encodeMessage({ kind: 'hello', node: 'someone-else', apart: [] })],
        () => [encodeMessage({ kind: 'hello', node: 'x'.repeat(201), apart: [] })],
        () => [mutate(rnd, encodeMessage({ kind: 'hello', node: 'evil', apart: Array.from({ length: 50 }, (_, i) => `n${String(i)}`) }))],
      ])(),
  },
]

/** A pipe whose far end the test holds. */
function rawPipe(): { pipe: Pipe; inject: (f: Uint8Array) => void; closed: () => boolean; closedAt: () => number } {
  let onData: ((d: Uint8Array) => void) | null = null
  let onClose: (() => void) | null = null
  let closed = false
  let at = 0
  const pipe: Pipe = {
    send: () => undefined,
    onData: (fn) => (onData = fn),
    onClose: (fn) => (onClose = fn),
    close: () => {
      if (closed) return
      closed = true
      at = performance.now()
      onClose?.()
    },
  }
  return { pipe, inject: (f) => onData?.(f), closed: () => closed, closedAt: () => at }
}

/** Per generator: cases, rejected, accepted (mutations that stayed valid), slowest rejection (ms, until the link closed). */
export type FuzzStats = Map<string, { n: number; rejected: number; accepted: number; worstMs: number }>

/** Every table's definition and records (an accepted update may drop a table: peers may). */
async function tables(db: Database): Promise<string> {
  const out: unknown[] = []
  for (const t of (db.systemInfo('tables') as string[]).sort()) out.push(t, db.tableInfo(t, 'attributes'), await db.dirtyMatchObject(t, {}))
  return canonical(out)
}

/**
 * The victim's document keeps no deletes pending and its whole state decodes into a fresh document;
 * else the case's starting state and frames go to `FUZZ_DUMP`, to replay it.
 */
function expectSound(doc: Y.Doc, where: string, state0: Uint8Array | null, frames: Uint8Array[]): void {
  expect(doc.store.pendingDs, `${where} left deletes pending in the victim's document`).toBeNull()
  const probe = new Y.Doc()
  try {
    Y.applyUpdate(probe, Y.encodeStateAsUpdate(doc))
  } catch (e) {
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
    if (process.env['FUZZ_DUMP']) writeFileSync(process.env['FUZZ_DUMP'], JSON.stringify({ state0: hex(state0 ?? new Uint8Array()), frames: frames.map(hex) }))
    throw new Error(`${where} left the victim's document undecodable: ${String(e)}; frames ${frames.map(hex).join(' ')}`)
  } finally {
    probe.destroy()
  }
}

/** Runs `cases` generated cases (seed `seed`); returns the stats. Fails the test on a violation. */
export async function fuzzRemote(cases: number, seed: number): Promise<FuzzStats> {
  const net = new Network()
  const name = uniqueName('victim')
  let a = await openDatabase({ name })
  const b = await openDatabase({ name: uniqueName('valid') })
  await a.createTable('item', { attributes: ['id', 'v'] })
  await a.createTable('pile', { attributes: ['id', 'v'], type: 'bag' })
  for (let i = 0; i < 5; i++) {
    await a.dirtyWrite('item', { id: i, v: `v${String(i)}` })
    await a.dirtyWrite('pile', { id: i, v: i })
  }
  let attach!: PeerUp
  const t0 = net.transport(0)
  await a.join({ room: 'f', resyncMs: 0, transport: { connect: (up) => ((attach = up), t0.connect(up)) } })
  await b.join({ room: 'f', resyncMs: 0, transport: net.transport(1) })
  net.connect(0, 1)
  await quiet(net, [a, b])
  expect(await b.dirtyRead('item', 1)).toEqual([{ id: 1, v: 'v1' }])
  const rep = a.replication as Replicator
  const target: Target = { doc: rep.rdoc.doc, set: a.tableInfo('item', 'cookie') as string, bag: a.tableInfo('pile', 'cookie') as string, node: a.node }
  let rejectedEvents = 0
  let reason = ''
  a.subscribe('system', (e: SystemEvent) => {
    if (e.type !== 'peer_rejected') return
    rejectedEvents++
    reason = e.reason
  })
  // The valid peer never rejects the victim: whatever the victim accepted and relays must pass b's guard too.
  let validRejected = ''
  b.subscribe('system', (e: SystemEvent) => {
    if (e.type === 'peer_rejected') validRejected ||= e.reason
  })
  const stats: FuzzStats = new Map(GENERATORS.map((g) => [g.name, { n: 0, rejected: 0, accepted: 0, worstMs: 0 }]))
  const rnd = prng(seed)
  clients = seed + 1
  let expectedRejections = 0
  for (let i = 0; i < cases; i++) {
    const g = GENERATORS[i % GENERATORS.length] as Gen
    if (process.env['FUZZ_PROGRESS'] && i % 250 === 0) console.log(`case ${String(i)} at ${(performance.now() / 1000).toFixed(1)} s, update ${String(Y.encodeStateAsUpdate(target.doc).length)} bytes`)
    const s = stats.get(g.name) as { n: number; rejected: number; accepted: number; worstMs: number }
    let frames: Uint8Array[]
    try {
      frames = g.make(rnd, target)
    } catch (e) {
      const full = Y.encodeStateAsUpdate(target.doc)
      throw new Error(`case ${String(i)} (${g.name}): the generator failed on the victim's document: ${String(e)}; ${Buffer.from(full).toString('hex')}`)
    }
    const before = await tables(a)
    const size0 = process.env['FUZZ_GROWTH'] ? Y.encodeStateAsUpdate(target.doc).length : 0
    const sv = canonical(Y.encodeStateVector(target.doc))
    const state0 = process.env['FUZZ_DUMP'] ? Y.encodeStateAsUpdate(target.doc) : null
    const { pipe, inject, closed, closedAt } = rawPipe()
    attach(pipe)
    inject(encodeMessage({ kind: 'hello', node: `evil-${String(i)}`, apart: [] }))
    const start = performance.now()
    for (const f of frames) if (!closed()) inject(f)
    await a.replication?.idle()
    const total = performance.now() - start
    s.n++
    if (closed()) {
      s.rejected++
      expectedRejections++
      s.worstMs = Math.max(s.worstMs, closedAt() - start)
      const where = `case ${String(i)} (${g.name}) was rejected (${reason}) but changed`
      expect(canonical(Y.encodeStateVector(target.doc)), `${where} the document`).toBe(sv)
      expect(await tables(a), `${where} the tables`).toBe(before)
    } else {
      s.accepted++
      if (process.env['FUZZ_DEBUG']) console.log(`accepted ${String(i)} ${g.name}: ${canonical(frames.map((f) => f.slice(0, 80)))}`)
      pipe.close()
    }
    expect(validRejected, `case ${String(i)} (${g.name}): the valid peer rejected the victim`).toBe('')
    expectSound(target.doc, `case ${String(i)} (${g.name}, ${closed() ? 'rejected' : 'accepted'})`, state0, frames)
    if (process.env['FUZZ_GROWTH']) {
      const grew = Y.encodeStateAsUpdate(target.doc).length - size0
      if (grew > 2000) console.log(`GROW case ${String(i)} ${g.name} +${String(grew)} frames ${String(frames.map((f) => f.length))}`)
    }
    // No hang: the case settled (its changes committed) in bounded time, even on a loaded machine.
    expect(total, `case ${String(i)} (${g.name}) took ${total.toFixed(0)} ms`).toBeLessThan(LIMIT_MS)
  }
  await quiet(net, [a, b])
  expect(rejectedEvents).toBe(expectedRejections)
  // The valid peer still converges, both ways (on a new table: accepted updates may have dropped one).
  await a.createTable('after', { attributes: ['id', 'v'] })
  await quiet(net, [a, b])
  await a.dirtyWrite('after', { id: 900, v: 'from a' })
  await b.dirtyWrite('after', { id: 901, v: 'from b' })
  await quiet(net, [a, b])
  expect(net.connected(0, 1)).toBe(true)
  expect(await tables(b)).toBe(await tables(a))
  expect(await b.dirtyRead('after', 900)).toEqual([{ id: 900, v: 'from a' }])
  expect(await a.dirtyRead('after', 901)).toEqual([{ id: 901, v: 'from b' }])
  // Disc equals memory.
  const mem = await tables(a)
  await b.close()
  await a.close()
  a = await openDatabase({ name })
  expect(await tables(a)).toBe(mem)
  await a.close()
  return stats
}

/** The stats as a table. */
export function fuzzReport(stats: FuzzStats): string {
  const rows = [...stats].map(([g, s]) => `${g.padEnd(34)} ${String(s.n).padStart(6)} ${String(s.rejected).padStart(8)} ${String(s.accepted).padStart(8)} ${s.worstMs.toFixed(1).padStart(8)}`)
  return [`${'generator'.padEnd(34)} ${'cases'.padStart(6)} ${'rejected'.padStart(8)} ${'accepted'.padStart(8)} ${'worst ms'.padStart(8)}`, ...rows].join('\n')
}
