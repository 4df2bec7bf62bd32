/** Table copies on chosen nodes, sync acknowledgements, and the document across reloads. */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type SystemEvent, type TableEvent } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function pair(extra: Record<string, unknown> = {}): Promise<{ net: Network; a: Database; b: Database }> {
  const net = new Network()
  const a = await openDatabase({ name: uniqueName('ca') })
  const b = await openDatabase({ name: uniqueName('cb') })
  open.push(a, b)
  await a.join({ room: 'c', transport: net.transport(0), resyncMs: 0, ...extra })
  await b.join({ room: 'c', transport: net.transport(1), resyncMs: 0, ...extra })
  net.connect(0, 1)
  await quiet(net, [a, b])
  return { net, a, b }
}

it('addTableCopy / changeTableCopyType / delTableCopy on another node; tableInfo shows the cluster', async () => {
  const { net, a, b } = await pair()
  await a.createTable('x', { attributes: ['k', 'v'], index: ['v'] })
  await a.dirtyWrite('x', { k: 1, v: 'one' })
  await a.dirtyWrite('x', { k: 2, v: 'two' })
  await quiet(net, [a, b])
  expect(b.tableInfo('x', 'storageType')).toBe('disc_copies')
  expect(a.tableInfo('x', 'discCopies')).toEqual([a.node, b.node].sort())

  await a.changeTableCopyType('x', b.node, 'ram_copies')
  await quiet(net, [a, b])
  expect(b.tableInfo('x', 'storageType')).toBe('ram_copies')
  expect(await b.dirtyIndexRead('x', 'two', 'v')).toEqual([{ k: 2, v: 'two' }])
  expect(a.tableInfo('x', 'ramCopies')).toEqual([b.node])
  expect(a.tableInfo('x', 'discCopies')).toEqual([a.node])

  await a.delTableCopy('x', b.node)
  await quiet(net, [a, b])
  expect(b.systemInfo('tables')).toEqual([])
  expect(a.tableInfo('x', 'size')).toBe(2)
  expect(a.tableInfo('x', 'ramCopies')).toEqual([])
  // Writes go on where copies are; the node without one is left alone.
  await a.dirtyWrite('x', { k: 3, v: 'three' })
  await quiet(net, [a, b])
  expect(b.systemInfo('tables')).toEqual([])

  await a.addTableCopy('x', b.node, 'disc_only_copies')
  await quiet(net, [a, b])
  expect(b.tableInfo('x', 'storageType')).toBe('disc_only_copies')
  expect((await b.dirtyMatchObject('x', {})).length).toBe(3)
  expect(a.tableInfo('x', 'discOnlyCopies')).toEqual([b.node])
})

it('changeTableCopyType on this node: disc → ram drops the store, ram → disc persists it', async () => {
  const name = uniqueName('own')
  const db = await openDatabase({ name })
  open.push(db)
  await db.createTable('t', { attributes: ['k', 'v'] })
  await db.dirtyWrite('t', { k: 1, v: 1 })
  await db.changeTableCopyType('t', db.node, 'ram_copies')
  expect(db.tableInfo('t', 'storageType')).toBe('ram_copies')
  expect(await db.dirtyRead('t', 1)).toEqual([{ k: 1, v: 1 }])
  await db.changeTableCopyType('t', db.node, 'disc_copies')
  await db.close()
  open.pop()
  const again = await openDatabase({ name })
  open.push(again)
  expect(await again.dirtyRead('t', 1)).toEqual([{ k: 1, v: 1 }])
})

it('syncTransaction resolves once the peer holds the commit, and names a peer that never acknowledged', async () => {
  const { net, a, b } = await pair({ ackTimeoutMs: 200 })
  await a.createTable('s', { attributes: ['k', 'v'] })
  await quiet(net, [a, b])
  await a.syncTransaction((t) => t.write('s', { k: 1, v: 'synced' }))
  // No waiting for the network: the ack came from b after its commit.
  expect(await b.dirtyRead('s', 1)).toEqual([{ k: 1, v: 'synced' }])

  const sys: SystemEvent[] = []
  a.subscribe('system', (e) => sys.push(e))
  b.replication?.faults.set({ drop: 1 }) // b hears everything, says nothing (no acks)
  await a.syncTransaction((t) => t.write('s', { k: 2, v: 'unacked' }))
  expect(sys).toContainEqual(expect.objectContaining({ type: 'sync_incomplete', nodes: [b.node] }))
})

it('the document survives a reload: no duplicate changes; commits made while away are sent on rejoin', async () => {
  const net = new Network()
  const nameA = uniqueName('ra')
  let a = await openDatabase({ name: nameA })
  const b = await openDatabase({ name: uniqueName('rb') })
  open.push(b)
  await a.createTable('r', { attributes: ['k', 'v'] })
  await a.dirtyWrite('r', { k: 1, v: 'one' })
  for (let k = 100; k < 150; k++) await a.dirtyWrite('r', { k, v: 'bulk' })
  await a.join({ room: 'r', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'r', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  expect(await b.dirtyRead('r', 1)).toEqual([{ k: 1, v: 'one' }])
  const items = (): number => {
    let n = 0
    for (const structs of (b.replication as unknown as { rdoc: { doc: { store: { clients: Map<number, unknown[]> } } } }).rdoc.doc.store.clients.values()) n += structs.length
    return n
  }
  const before = items()
  await a.close()
  // a commits while nobody replicates for it
  a = await openDatabase({ name: nameA })
  open.push(a)
  await a.dirtyWrite('r', { k: 2, v: 'two' })
  const seen: TableEvent[] = []
  b.subscribe({ table: 'r' }, (e) => seen.push(e))
  await a.join({ room: 'r', transport: net.transport(0), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  // Only the new record travels: the reloaded document knew everything else.
  expect(seen).toEqual([{ type: 'write', table: 'r', record: { k: 2, v: 'two' }, origin: 'peer' }])
  // ...and the document did not get the 51 records again as new items (its identity survived).
  expect(items() - before).toBeLessThan(5)
})

it('bad arguments to join and the copy calls are typed errors that change nothing', async () => {
  const db = await openDatabase({ name: uniqueName('bad') })
  open.push(db)
  await db.createTable('t', { attributes: ['k', 'v'] })
  await db.dirtyWrite('t', { k: 1, v: 1 })
  await expect(db.join(null as never)).rejects.toMatchObject({ code: 'badarg' })
  await expect(db.join({ room: '' })).rejects.toMatchObject({ code: 'badarg' })
  await expect(db.join({ room: 'r' })).rejects.toMatchObject({ code: 'badarg' }) // no signaling server
  expect(db.replication).toBeNull()
  await expect(db.changeTableCopyType('t', db.node, 'bogus' as never)).rejects.toMatchObject({ code: 'bad_type' })
  await expect(db.addTableCopy('t', '', 'disc_copies')).rejects.toMatchObject({ code: 'badarg' })
  await expect(db.addTableCopy('nope', db.node, 'disc_copies')).rejects.toMatchObject({ code: 'no_exists' })
  await expect(db.addTableCopy('t', 'some-other-node', 'disc_copies')).rejects.toMatchObject({ code: 'not_supported' })
  expect(db.tableInfo('t', 'storageType')).toBe('disc_copies')
  expect(await db.dirtyRead('t', 1)).toEqual([{ k: 1, v: 1 }])
  const net = new Network()
  await db.join({ room: 'r', transport: net.transport(0), resyncMs: 0 })
  await expect(db.join({ room: 'r', transport: net.transport(0) })).rejects.toMatchObject({ code: 'already_exists' })
  await expect(db.addTableCopy('nope', 'some-other-node')).rejects.toMatchObject({ code: 'no_exists' })
})

it('a storage type changed in one tab is the storage type in the other tabs, records included', async () => {
  const name = uniqueName('tabs')
  const a = await openDatabase({ name })
  const b = await openDatabase({ name })
  open.push(a, b)
  await a.createTable('t', { attributes: ['k', 'v'], index: ['v'] })
  for (let k = 0; k < 5; k++) await a.dirtyWrite('t', { k, v: k % 2 })
  const settle = (db: Database): Promise<void> => (db as unknown as { local: { catchUp(): Promise<void> } }).local.catchUp()
  let records = 5
  for (const storage of ['disc_only_copies', 'ram_copies', 'disc_copies'] as const) {
    await a.changeTableCopyType('t', a.node, storage)
    await settle(b)
    expect(b.tableInfo('t', 'storageType')).toBe(storage)
    expect((await b.dirtyMatchObject('t', {})).length).toBe(records++)
    expect((await b.dirtyIndexRead('t', 1, 'v')).length).toBe(2)
    // b's own writes go where the new type keeps them: a tab opened now reads them back.
    await b.dirtyWrite('t', { k: storage, v: 9 })
    const c = await openDatabase({ name })
    expect(await c.dirtyRead('t', storage)).toEqual([{ k: storage, v: 9 }])
    await c.close()
  }
})

it('deleteTable on one node deletes the table on every node (Mnesia: delete_table), also one recreated under its name after', async () => {
  const { net, a, b } = await pair()
  await a.createTable('gone', { attributes: ['k', 'v'] })
  await a.dirtyWrite('gone', { k: 1, v: 'one' })
  await quiet(net, [a, b])
  expect(b.systemInfo('tables')).toEqual(['gone'])
  await b.deleteTable('gone')
  await quiet(net, [a, b])
  expect(a.systemInfo('tables')).toEqual([])
  expect(b.systemInfo('tables')).toEqual([])
  expect(() => a.tableInfo('gone', 'size')).toThrow(expect.objectContaining({ code: 'no_exists' }))
  // A new table of the name is a new table: nothing of the old one comes back.
  await a.createTable('gone', { attributes: ['k', 'w'] })
  await a.dirtyWrite('gone', { k: 2, w: 'two' })
  await quiet(net, [a, b])
  expect(await b.dirtyMatchObject('gone', {})).toEqual([{ k: 2, w: 'two' }])
  expect(b.tableInfo('gone', 'attributes')).toEqual(['k', 'w'])
})
