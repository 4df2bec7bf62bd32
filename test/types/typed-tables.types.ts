/* eslint-disable @typescript-eslint/no-unused-vars, @typescript-eslint/no-unsafe-return -- a type-test file: its values exist to be typed, and the lines marked @ts-expect-error are wrong on purpose */
/**
 * Type tests of typed tables (API.md, "Typed tables"), checked by `tsc` in `npm test`
 * (`npm run typecheck`): every `@ts-expect-error` line must be an error (tsc fails when one is
 * not), and every `expectType<Equals<…>>(true)` must hold. Nothing here runs: the functions are
 * only type-checked.
 */
import type { Database, LiveQuery, SelectContinuation, TableSchema, TypedDatabase, TypedTransaction } from '../../src/index.js'
import { openDatabase } from '../../src/index.js'

/** True exactly when A and B are the same type (not merely assignable). */
type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false
function expectType<T extends true>(_: T): void {}

type StockRec = { sku: string; count: number }
type OrderRec = { id: [number, string]; sku: string; qty: number; note?: string }
type Shop = {
  stock: TableSchema<StockRec, 'sku'>
  order: TableSchema<OrderRec, 'id', 'sku'>
  counter: TableSchema<{ name: string; value: number }, 'name'>
}
interface ShopInterface {
  stock: TableSchema<StockRec, 'sku'>
}

export async function typedDatabase(): Promise<void> {
  const db = await openDatabase<Shop>({ name: 'shop' })
  expectType<Equals<typeof db, TypedDatabase<Shop>>>(true)
  const viaInterface = await openDatabase<ShopInterface>({ name: 'shop' })
  expectType<Equals<Awaited<ReturnType<typeof viaInterface.dirtyRead<'stock'>>>, StockRec[]>>(true)

  // Reads: records need no cast.
  const [s] = await db.dirtyRead('stock', 'apple')
  expectType<Equals<typeof s, StockRec | undefined>>(true)
  const orders = await db.dirtyRead('order', [1, 'x'])
  expectType<Equals<typeof orders, OrderRec[]>>(true)
  // @ts-expect-error unknown table
  await db.dirtyRead('stok', 'apple')
  // @ts-expect-error wrong key type
  await db.dirtyRead('stock', 1)
  // @ts-expect-error wrong key type (a tuple key)
  await db.dirtyRead('order', [1, 2])

  // Writes.
  await db.dirtyWrite('stock', { sku: 'apple', count: 1 })
  await db.dirtyWrite('order', { id: [1, 'a'], sku: 'apple', qty: 2 })
  // @ts-expect-error misspelled attribute
  await db.dirtyWrite('stock', { sku: 'apple', cuont: 1 })
  // @ts-expect-error missing attribute
  await db.dirtyWrite('stock', { sku: 'apple' })
  // @ts-expect-error wrongly typed value
  await db.dirtyWrite('stock', { sku: 'apple', count: '1' })
  // @ts-expect-error a record of another table
  await db.dirtyWrite('stock', { id: [1, 'a'], sku: 'apple', qty: 2 })

  // Patterns.
  const fruit = await db.dirtyMatchObject('order', { sku: 'apple', qty: '$1', id: ['_', '$2'] })
  expectType<Equals<typeof fruit, OrderRec[]>>(true)
  // @ts-expect-error misspelled attribute in a pattern
  await db.dirtyMatchObject('order', { skux: 'apple' })
  // @ts-expect-error wrongly typed value in a pattern
  await db.dirtyMatchObject('order', { qty: 'many' })

  // Match specifications: inferred where they can be, unknown (never any) elsewhere.
  const skus = await db.dirtySelect('order', [[{ sku: '$1', qty: '$2' }, [['>', '$2', 1]], ['$1']]])
  expectType<Equals<typeof skus, string[]>>(true)
  const pairs = await db.dirtySelect('order', [[{ sku: '$1', qty: '$2' }, [], [['$1', '$2']]]])
  expectType<Equals<typeof pairs, [string, number][]>>(true)
  const objs = await db.dirtySelect('stock', [[{ sku: '$1', count: '$2' }, [], [{ s: '$1', n: '$2' }]]])
  expectType<Equals<typeof objs, { s: string; n: number }[]>>(true)
  const whole = await db.dirtySelect('stock', [['_', [], ['$_']]])
  expectType<Equals<typeof whole, StockRec[]>>(true)
  const nested = await db.dirtySelect('order', [[{ id: ['$1', '_'] }, [], ['$1']]])
  expectType<Equals<typeof nested, unknown[]>>(true)
  const spec: unknown[] = JSON.parse('[]') as unknown[]
  // @ts-expect-error a spec of unknown shape is not a match specification of this table
  await db.dirtySelect('order', spec)
  // @ts-expect-error wrongly typed literal in a head
  await db.dirtySelect('order', [[{ qty: 'x' }, [], ['$_']]])
  const chunk = await db.dirtySelect('stock', [['_', [], ['$_']]], 10)
  expectType<Equals<typeof chunk, { readonly results: StockRec[]; readonly cont: SelectContinuation } | null>>(true)

  // Index reads: the value has the attribute's type; the attribute must be indexable.
  const bySku = await db.dirtyIndexRead('order', 'apple', 'sku')
  expectType<Equals<typeof bySku, OrderRec[]>>(true)
  // @ts-expect-error bad index attribute (not declared indexable)
  await db.dirtyIndexRead('order', 2, 'qty')
  // @ts-expect-error bad index attribute (the key)
  await db.dirtyIndexRead('stock', 'apple', 'sku')
  // @ts-expect-error wrongly typed index value
  await db.dirtyIndexRead('order', 2, 'sku')

  // Keys.
  const k = await db.dirtyFirst('order')
  expectType<Equals<typeof k, [number, string] | undefined>>(true)
  const keys = await db.dirtyAllKeys('stock')
  expectType<Equals<typeof keys, string[]>>(true)
  // Counters: only tables whose other attribute is a number.
  const n = await db.dirtyUpdateCounter('counter', 'clicks', 1)
  expectType<Equals<typeof n, number>>(true)
  // @ts-expect-error not a counter table
  await db.dirtyUpdateCounter('order', [1, 'a'], 1)

  // tableInfo returns the type of its item.
  expectType<Equals<ReturnType<typeof db.tableInfo<'stock', 'size'>>, number>>(true)
  const attrs = db.tableInfo('stock', 'attributes')
  expectType<Equals<typeof attrs, ('sku' | 'count')[]>>(true)
  const wild = db.tableInfo('order', 'wildPattern')
  expectType<Equals<typeof wild, { id: '_'; sku: '_'; qty: '_'; note: '_' }>>(true)
  const storage = db.tableInfo('stock', 'storageType')
  expectType<Equals<typeof storage, 'ram_copies' | 'disc_copies' | 'disc_only_copies'>>(true)
  expectType<Equals<ReturnType<typeof db.tableInfo<'stock', 'all'>>['arity'], number>>(true)
  // @ts-expect-error unknown table
  db.tableInfo('nope', 'size')
  // @ts-expect-error unknown item
  db.tableInfo('stock', 'colour')

  // Schema: attributes must be the record's, key first; indexes must be indexable.
  await db.createTable('order', { attributes: ['id', 'sku', 'qty', 'note'], index: ['sku'], type: 'ordered_set' })
  // @ts-expect-error the key must come first
  await db.createTable('stock', { attributes: ['count', 'sku'] })
  // @ts-expect-error misspelled attribute
  await db.createTable('stock', { attributes: ['sku', 'cnt'] })
  // @ts-expect-error bad index attribute
  await db.createTable('order', { attributes: ['id', 'sku', 'qty'], index: ['qty'] })
  // @ts-expect-error unknown table
  await db.deleteTable('stocks')

  // Events carry the table's records and keys.
  db.subscribe({ table: 'stock' }, (ev) => {
    if (ev.type === 'write') expectType<Equals<typeof ev.record, StockRec>>(true)
    if (ev.type === 'delete') expectType<Equals<typeof ev.key, string>>(true)
  })
  db.subscribe({ table: 'order', detail: 'detailed' }, (ev) => {
    expectType<Equals<typeof ev.old, OrderRec[]>>(true)
    expectType<Equals<typeof ev.tid, string>>(true)
  })
  // @ts-expect-error unknown table
  db.subscribe({ table: 'nope' }, () => undefined)

  // Transactions.
  const total = await db.transaction(async (t) => {
    expectType<Equals<typeof t, TypedTransaction<Shop>>>(true)
    const [st] = await t.read('stock', 'apple', 'write')
    if (st) await t.write('stock', { ...st, count: st.count - 1 })
    // @ts-expect-error wrongly typed value
    await t.write('stock', { sku: 'apple', count: null })
    // @ts-expect-error wrong key type
    await t.delete('order', 'apple')
    const sum = await t.foldl((rec, acc) => acc + rec.qty, 0, 'order')
    expectType<Equals<typeof sum, number>>(true)
    // @ts-expect-error the fold's records are the table's
    await t.foldl((rec, acc: number) => acc + rec.count, 0, 'order')
    const inner = await t.transaction(async (c) => (await c.read('order', [1, 'a']))[0]?.qty)
    expectType<Equals<typeof inner, number | undefined>>(true)
    await t.lock({ record: ['stock', 'apple'] }, 'write')
    // @ts-expect-error wrong key type in a record lock
    await t.lock({ record: ['stock', 1] }, 'write')
    const info = await t.tableInfo('order', 'index')
    expectType<Equals<typeof info, ('id' | 'sku' | 'qty' | 'note')[]>>(true)
    return sum
  })
  expectType<Equals<typeof total, number>>(true)

  // Live queries.
  const q = db.liveQuery((t) => t.select('order', [[{ sku: '$1', qty: '$2' }, [['>', '$2', 1]], ['$1']]]))
  expectType<Equals<typeof q, LiveQuery<string[]>>>(true)
  // @ts-expect-error unknown table inside a live query
  db.liveQuery((t) => t.read('nope', 1))

  // Members the typed view does not re-type pass through from Database.
  expectType<Equals<typeof db.node, string>>(true)
  expectType<Equals<typeof db.close, Database['close']>>(true)
  expectType<Equals<typeof db.join, Database['join']>>(true)
}

export async function untypedDatabase(): Promise<void> {
  // Without a schema type everything stays Record<string, unknown>.
  const db = await openDatabase({ name: 'shop' })
  expectType<Equals<typeof db, Database>>(true)
  const [r] = await db.dirtyRead('anything', 'key')
  expectType<Equals<typeof r, Record<string, unknown> | undefined>>(true)
  const sel = await db.dirtySelect('anything', [[{ a: '$1' }, [], ['$1']]])
  expectType<Equals<typeof sel, unknown[]>>(true)
  expectType<Equals<ReturnType<typeof db.tableInfo>, unknown>>(true)
  await db.transaction(async (t) => {
    const [x] = await t.read('anything', 1)
    expectType<Equals<typeof x, Record<string, unknown> | undefined>>(true)
  })
  const q = db.liveQuery((t) => t.matchObject('anything', {}))
  expectType<Equals<typeof q, LiveQuery<Record<string, unknown>[]>>>(true)
}
