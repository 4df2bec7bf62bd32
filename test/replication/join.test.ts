/** Join copies schema and tables; writes travel both ways with origin 'peer'. */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type SystemEvent, type TableEvent } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function node(name = uniqueName('n')): Promise<Database> {
  const db = await openDatabase({ name })
  open.push(db)
  return db
}

it('a fresh node joining gets every table and record; writes travel both ways as peer events', async () => {
  const net = new Network()
  const a = await node()
  const b = await node()
  await a.createTable('stock', { attributes: ['sku', 'count'] })
  await a.createTable('tags', { attributes: ['sku', 'tag'], type: 'bag', storage: 'ram_copies' })
  await a.dirtyWrite('stock', { sku: 'apple', count: 3 })
  await a.dirtyWrite('stock', { sku: new Date(5), count: 1 })
  await a.dirtyWrite('tags', { sku: 'apple', tag: 'red' })
  await a.dirtyWrite('tags', { sku: 'apple', tag: 'fruit' })
  const sys: SystemEvent[] = []
  b.subscribe('system', (e) => sys.push(e))
  await a.join({ room: 'r', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'r', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  await b.waitForTables(['stock', 'tags'], 1000)
  expect(await b.dirtyRead('stock', 'apple')).toEqual([{ sku: 'apple', count: 3 }])
  expect(await b.dirtyRead('stock', new Date(5))).toEqual([{ sku: new Date(5), count: 1 }])
  expect(await b.dirtyRead('tags', 'apple')).toEqual([{ sku: 'apple', tag: 'fruit' }, { sku: 'apple', tag: 'red' }])
  expect(b.tableInfo('tags', 'type')).toBe('bag')
  expect(b.tableInfo('tags', 'storageType')).toBe('disc_copies')
  expect(b.tableInfo('stock', 'discCopies')).toEqual([a.node, b.node].sort())
  expect(sys.map((e) => e.type)).toContain('node_up')
  expect(sys).toContainEqual({ type: 'table_copied', table: 'stock', node: b.node })

  const seenA: TableEvent[] = []
  a.subscribe({ table: 'stock' }, (e) => seenA.push(e))
  await b.transaction(async (t) => {
    const [r] = await t.read<{ sku: string; count: number }>('stock', 'apple')
    await t.write('stock', { sku: 'apple', count: (r?.count ?? 0) + 1 })
  })
  await quiet(net, [a, b])
  expect(await a.dirtyRead('stock', 'apple')).toEqual([{ sku: 'apple', count: 4 }])
  expect(seenA).toEqual([{ type: 'write', table: 'stock', record: { sku: 'apple', count: 4 }, origin: 'peer' }])

  await a.dirtyDelete('stock', 'apple')
  await a.dirtyDeleteObject('tags', { sku: 'apple', tag: 'red' })
  await quiet(net, [a, b])
  expect(await b.dirtyRead('stock', 'apple')).toEqual([])
  expect(await b.dirtyRead('tags', 'apple')).toEqual([{ sku: 'apple', tag: 'fruit' }])
})

it('two nodes that created the same table apart end with one table holding both sides’ records', async () => {
  const net = new Network()
  const a = await node()
  const b = await node()
  for (const [db, side] of [
    [a, 'a'],
    [b, 'b'],
  ] as const) {
    await db.createTable('kv', { attributes: ['k', 'v'] })
    await db.dirtyWrite('kv', { k: 'shared', v: side })
    await db.dirtyWrite('kv', { k: `only-${side}`, v: side })
  }
  await a.join({ room: 'r', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'r', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  const ra = await a.dirtyMatchObject('kv', {})
  const rb = await b.dirtyMatchObject('kv', {})
  expect(rb).toEqual(ra)
  expect(ra.map((r) => r['k']).sort()).toEqual(['only-a', 'only-b', 'shared'])
  expect(a.tableInfo('kv', 'cookie')).toBe(b.tableInfo('kv', 'cookie'))
})
