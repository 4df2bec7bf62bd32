/**
 * Remote policies (replication/policy.ts): a hostile peer on the simulated network writes what
 * the others' policies refuse. Refused changes are never committed, are reported as
 * `remote_refused`, and are set back in every replica (the hostile node's included), so the
 * cluster converges on the refusing node's records; what the policies allow still flows.
 */
import { afterEach, expect, it } from 'vitest'
import * as Y from 'yjs'
import { openDatabase, type Database, type Pipe, type RemoteChange, type SystemEvent, type TableEvent } from '../../src/index.js'
import { keyString } from '../../src/replication/codec.js'
import { MAX_WRITE_BACKS } from '../../src/replication/policy.js'
import { decodeFrame, encodeMessage, type Message } from '../../src/replication/wire.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function cluster(n: number, setup: (dbs: Database[]) => void): Promise<{ net: Network; dbs: Database[] }> {
  const net = new Network()
  const dbs: Database[] = []
  for (let i = 0; i < n; i++) {
    const db = await openDatabase({ name: uniqueName('pol') })
    open.push(db)
    dbs.push(db)
  }
  const a = dbs[0] as Database
  await a.createTable('price', { attributes: ['sku', 'cents'] })
  await a.createTable('note', { attributes: ['id', 'text'] })
  await a.dirtyWrite('price', { sku: 'apple', cents: 100 })
  await a.dirtyWrite('price', { sku: 'pear', cents: 80 })
  setup(dbs)
  for (let i = 0; i < n; i++) await (dbs[i] as Database).join({ room: 'pol', transport: net.transport(i), resyncMs: 0 })
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) net.connect(i, j)
  await quiet(net, dbs)
  return { net, dbs }
}

const rows = async (db: Database, t: string): Promise<unknown[]> => (await db.dirtyMatchObject(t, {})).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))

/** The records a node's replication document holds for a key. */
function docValue(db: Database, table: string, key: string): unknown {
  const r = db.replication as unknown as { rdoc: { table(cookie: string): Y.Map<unknown> } }
  return r.rdoc.table(db.tableInfo(table, 'cookie') as string).get(keyString(key))
}

it('a hostile peer’s writes to a table whose policy refuses them are not committed, reported, and set back everywhere', async () => {
  const { net, dbs } = await cluster(3, (dbs) => {
    const [a, b] = dbs as [Database, Database]
    a.setRemotePolicy('price', 'reject') // a owns the prices
    b.setRemotePolicy('price', (_c, peer) => peer === a.node) // b takes them from a only
  })
  const [a, b, evil] = dbs as [Database, Database, Database]
  const before = await rows(a, 'price')
  expect(await rows(evil, 'price')).toEqual(before)
  const refused = new Map<Database, SystemEvent[]>()
  const committed: TableEvent[] = []
  for (const db of [a, b]) {
    const mine: SystemEvent[] = []
    refused.set(db, mine)
    db.subscribe('system', (e) => {
      if (e.type === 'remote_refused') mine.push(e)
    })
    db.subscribe({ table: 'price' }, (e) => committed.push(e))
  }
  // A write, an insert and a delete of `price`, and a note (no policy: accepted).
  await evil.dirtyWrite('price', { sku: 'apple', cents: 1 })
  await evil.dirtyWrite('price', { sku: 'plum', cents: 2 })
  await evil.dirtyDelete('price', 'pear')
  await evil.dirtyWrite('note', { id: 1, text: 'hello from evil' })
  await quiet(net, dbs)

  // Nothing of it was committed on a or b: no table event at all, the records unchanged.
  expect(committed).toEqual([])
  for (const db of [a, b]) expect(await rows(db, 'price')).toEqual(before)
  // Every refused key reported by both, with the peer it came from.
  // Every refused key reported, naming the peer it came from. (A node that screens a key after
  // another node already set it back finds nothing to refuse: together they report each key.)
  const reports = [...refused.values()].flat()
  for (const key of ['apple', 'plum', 'pear']) expect(reports).toContainEqual({ type: 'remote_refused', table: 'price', key, node: evil.node })
  expect(reports.filter((e) => e.type === 'remote_refused' && e.node !== evil.node)).toEqual([])
  // The refusing nodes' documents do not keep the refused values, and the hostile node itself
  // converged back (it accepts the set-back like any peer change).
  expect(await rows(evil, 'price')).toEqual(before)
  for (const db of dbs) {
    expect(docValue(db, 'price', 'apple')).toEqual([{ sku: 'apple', cents: 100 }])
    expect(docValue(db, 'price', 'plum')).toBeUndefined()
    expect(docValue(db, 'price', 'pear')).toEqual([{ sku: 'pear', cents: 80 }])
  }
  // The peer stays connected (a refusal is not malformed input), and the table without a policy took its write.
  expect(a.replication?.connected()).toContain(evil.node)
  for (const db of [a, b]) expect(await rows(db, 'note')).toEqual([{ id: 1, text: 'hello from evil' }])
  // The owner's own writes still reach everyone (b's policy lets a's changes in).
  await a.dirtyWrite('price', { sku: 'apple', cents: 120 })
  await quiet(net, dbs)
  for (const db of dbs) expect(await db.dirtyRead('price', 'apple')).toEqual([{ sku: 'apple', cents: 120 }])
})

it('a validation function sees the change and the records here: prices may only go up', async () => {
  const seen: RemoteChange[] = []
  const { net, dbs } = await cluster(2, (dbs) => {
    ;(dbs[0] as Database).setRemotePolicy('price', (change) => {
      seen.push(change)
      const want = change.records[0]?.['cents']
      const had = change.old[0]?.['cents']
      return typeof want === 'number' && typeof had === 'number' && want > had
    })
  })
  const [a, b] = dbs as [Database, Database]
  await b.dirtyWrite('price', { sku: 'apple', cents: 150 })
  await quiet(net, dbs)
  expect(await a.dirtyRead('price', 'apple')).toEqual([{ sku: 'apple', cents: 150 }])
  expect(seen[0]).toEqual({ table: 'price', key: 'apple', records: [{ sku: 'apple', cents: 150 }], old: [{ sku: 'apple', cents: 100 }] })
  await b.dirtyWrite('price', { sku: 'apple', cents: 10 })
  await b.dirtyDelete('price', 'pear')
  await quiet(net, dbs)
  for (const db of dbs) {
    expect(await db.dirtyRead('price', 'apple')).toEqual([{ sku: 'apple', cents: 150 }])
    expect(await db.dirtyRead('price', 'pear')).toEqual([{ sku: 'pear', cents: 80 }])
  }
  expect(seen.find((c) => c.key === 'pear')).toEqual({ table: 'price', key: 'pear', records: [], old: [{ sku: 'pear', cents: 80 }] })
})

it('a raw hostile link: a crafted update that the policy refuses is set back on that link too; the link stays open', async () => {
  const a = await openDatabase({ name: uniqueName('pol') })
  open.push(a)
  await a.createTable('price', { attributes: ['sku', 'cents'] })
  await a.dirtyWrite('price', { sku: 'apple', cents: 100 })
  a.setRemotePolicy('price', 'reject')
  let attach!: (p: Pipe) => void
  await a.join({ room: 'raw', resyncMs: 0, transport: (peerUp) => ((attach = peerUp), () => undefined) })
  const sent: Uint8Array[] = []
  let onData: ((d: Uint8Array) => void) | null = null
  let closed = false
  attach({ send: (f) => sent.push(f), onData: (fn) => (onData = fn), onClose: () => undefined, close: () => (closed = true) })
  const inject = (m: Message): void => onData?.(encodeMessage(m))
  // The hostile peer syncs a's document, then overwrites a price in it.
  const mirror = new Y.Doc()
  const r = a.replication as unknown as { rdoc: { doc: Y.Doc } }
  Y.applyUpdate(mirror, Y.encodeStateAsUpdate(r.rdoc.doc))
  const sv = Y.encodeStateVector(mirror)
  mirror.getMap<unknown>(`t:${a.tableInfo('price', 'cookie') as string}`).set(keyString('apple'), [{ sku: 'apple', cents: 0 }])
  const before = sent.length
  inject({ kind: 'hello', node: 'mallory', apart: [] })
  inject({ kind: 'update', update: Y.encodeStateAsUpdate(mirror, sv), ack: 7 })
  await a.replication?.idle()
  expect(closed).toBe(false)
  expect(await a.dirtyRead('price', 'apple')).toEqual([{ sku: 'apple', cents: 100 }])
  expect(docValue(a, 'price', 'apple')).toEqual([{ sku: 'apple', cents: 100 }])
  // a answered on the link: the set-back (an UPDATE) and the ACK of the hostile update.
  const kinds = sent.slice(before).map((f) => f[1])
  expect(kinds).toContain(4)
  expect(kinds).toContain(5)
  // The set-back wins in the hostile peer's own replica when it applies it.
  for (const f of sent.slice(before)) {
    const m = decodeFrame(f)
    if (m.kind === 'update') Y.applyUpdate(mirror, m.update)
  }
  expect(mirror.getMap(`t:${a.tableInfo('price', 'cookie') as string}`).get(keyString('apple'))).toEqual([{ sku: 'apple', cents: 100 }])
})

it('two nodes that refuse each other’s writes of one key stop setting it back (bounded), with inconsistent_database', async () => {
  const { net, dbs } = await cluster(2, (dbs) => {
    for (const db of dbs) db.setRemotePolicy('price', 'reject')
  })
  const [a, b] = dbs as [Database, Database]
  const events: SystemEvent[] = []
  for (const db of dbs) db.subscribe('system', (e) => events.push(e))
  await b.dirtyWrite('price', { sku: 'apple', cents: 7 })
  await quiet(net, dbs) // settles: without the bound the two would set the key back forever
  expect(events.filter((e) => e.type === 'remote_refused').length).toBeLessThanOrEqual(2 * (MAX_WRITE_BACKS + 1))
  expect(events.some((e) => e.type === 'inconsistent_database' && e.tables.includes('price'))).toBe(true)
  // Each keeps its own records: neither committed the other's.
  expect(await a.dirtyRead('price', 'apple')).toEqual([{ sku: 'apple', cents: 100 }])
  expect(await b.dirtyRead('price', 'apple')).toEqual([{ sku: 'apple', cents: 7 }])
})

it('setRemotePolicy: a bad table name or policy is a typed error and changes nothing', async () => {
  const db = await openDatabase({ name: uniqueName('pol') })
  open.push(db)
  expect(() => db.setRemotePolicy('', 'reject')).toThrow(expect.objectContaining({ code: 'bad_type' }) as Error)
  expect(() => db.setRemotePolicy('t', 'sometimes' as never)).toThrow(expect.objectContaining({ code: 'badarg' }) as Error)
  expect(() => db.setRemotePolicy('t', 42 as never)).toThrow(expect.objectContaining({ code: 'badarg' }) as Error)
  db.setRemotePolicy('t', 'reject')
  db.setRemotePolicy('t', 'accept')
})
