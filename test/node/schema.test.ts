/** Schema: table definitions, changes seen by every tab, tableInfo / systemInfo, persistence. */
import { afterEach, describe, expect, it } from 'vitest'
import { NoSuchTableError, openDatabase, TableExistsError, TransactionAbortedError, WebnesiaError, type Database } from '../../src/index.js'
import { fresh, settle, uniqueName } from './helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

describe('createTable', () => {
  it('rejects bad definitions with code bad_type and creates nothing', async () => {
    const [db] = (dbs = await fresh()) as [Database]
    const bad: unknown[] = [
      { attributes: ['only'] },
      { attributes: ['a', 'a'] },
      { attributes: ['a', 'b'], type: 'heap' },
      { attributes: ['a', 'b'], storage: 'tape' },
      { attributes: ['a', 'b'], index: ['c'] },
      { attributes: ['a', 'b'], index: ['a'] },
      { attributes: ['a', 'b c'] },
      { attributes: 'ab' },
      null,
    ]
    for (const opts of bad) {
      const err = await db.createTable('t', opts as never).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(WebnesiaError)
      expect((err as WebnesiaError).code).toBe('bad_type')
    }
    expect(db.systemInfo('tables')).toEqual([])
    await db.createTable('t', { attributes: ['a', 'b'] })
    await expect(db.createTable('t', { attributes: ['a', 'b'] })).rejects.toBeInstanceOf(TableExistsError)
  })

  it('tableInfo answers every item, Mnesia style', async () => {
    const [db] = (dbs = await fresh()) as [Database]
    await db.createTable('emp', { attributes: ['id', 'name', 'salary'], type: 'ordered_set', storage: 'disc_copies', index: ['name'], recordName: 'employee' })
    await db.dirtyWrite('emp', { id: 1, name: 'a', salary: 3 })
    const all = db.tableInfo('emp', 'all') as Record<string, unknown>
    expect(all).toMatchObject({
      size: 1,
      attributes: ['id', 'name', 'salary'],
      type: 'ordered_set',
      storageType: 'disc_copies',
      index: ['name'],
      recordName: 'employee',
      arity: 4,
      wildPattern: { id: '_', name: '_', salary: '_' },
      localContent: false,
      whereToRead: db.node,
      ramCopies: [],
      discCopies: [db.node],
      discOnlyCopies: [],
      masterNodes: [],
    })
    expect(all['memory']).toBeGreaterThan(0)
    expect(() => db.tableInfo('nope', 'size')).toThrow(NoSuchTableError)
    expect(db.systemInfo('all')).toMatchObject({ tables: ['emp'], runningNodes: [db.node], dbNodes: [db.node], isRunning: 'yes' })
  })
})

describe('schema changes', () => {
  it('are seen by another tab: create, index, transform, clear, delete', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    const system: string[] = []
    b.subscribe('system', (ev) => system.push(ev.type))
    await a.createTable('t', { attributes: ['k', 'v'], storage: 'disc_only_copies' })
    await b.waitForTables(['t'], 2000)
    await b.dirtyWrite('t', { k: 1, v: 'x' })
    await a.addTableIndex('t', 'v')
    await expect(a.addTableIndex('t', 'v')).rejects.toMatchObject({ code: 'already_exists' })
    await settle(a, b)
    expect(b.tableInfo('t', 'index')).toEqual(['v'])
    expect(await b.dirtyIndexRead('t', 'x', 'v')).toEqual([{ k: 1, v: 'x' }])
    await a.transformTable('t', (r) => ({ k: r['k'], v: r['v'], w: 'new' }), ['k', 'v', 'w'])
    await settle(a, b)
    expect(b.tableInfo('t', 'attributes')).toEqual(['k', 'v', 'w'])
    expect(await b.dirtyRead('t', 1)).toEqual([{ k: 1, v: 'x', w: 'new' }])
    await a.delTableIndex('t', 'v')
    await expect(a.delTableIndex('t', 'v')).rejects.toMatchObject({ code: 'no_exists' })
    await a.clearTable('t')
    await settle(a, b)
    expect(b.tableInfo('t', 'size')).toBe(0)
    await a.deleteTable('t')
    await settle(a, b)
    expect(b.systemInfo('tables')).toEqual([])
    await expect(b.dirtyRead('t', 1)).rejects.toBeInstanceOf(NoSuchTableError)
    expect(system).toEqual(['table_created', 'table_changed', 'table_changed', 'table_changed', 'table_deleted'])
  })

  it('transformTable is all or nothing; undefined deletes a record', async () => {
    const [db] = (dbs = await fresh()) as [Database]
    await db.createTable('t', { attributes: ['k', 'v'] })
    for (let k = 0; k < 5; k++) await db.dirtyWrite('t', { k, v: k })
    const err = await db
      .transformTable('t', (r) => {
        if (r['k'] === 3) throw new Error('boom')
        return { ...r, v: 0 }
      })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransactionAbortedError)
    await expect(db.transformTable('t', (r) => ({ ...r, bad: 1 }))).rejects.toMatchObject({ code: 'bad_type' })
    expect(await db.dirtySelect('t', [[{ v: '$1' }, [], ['$1']]])).toEqual([0, 1, 2, 3, 4])
    await db.transformTable('t', (r) => ((r['k'] as number) % 2 ? undefined : { ...r, v: (r['v'] as number) * 10 }))
    expect(await db.dirtyMatchObject('t', {})).toEqual([
      { k: 0, v: 0 },
      { k: 2, v: 20 },
      { k: 4, v: 40 },
    ])
  })

  it('waitForTables resolves when another tab creates the table, and times out with code timeout', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    const waiting = b.waitForTables(['late'], 5000)
    await a.createTable('late', { attributes: ['k', 'v'] })
    await waiting
    await expect(b.waitForTables(['never'], 20)).rejects.toMatchObject({ code: 'timeout' })
  })
})

describe('persistence', () => {
  it('after every handle closed: disc tables keep their records, ram tables only their definition', async () => {
    const name = uniqueName()
    const db = await openDatabase({ name })
    for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
      await db.createTable(storage, { attributes: ['k', 'v'], storage, type: 'bag' })
      await db.dirtyWrite(storage, { k: 1, v: 'a' })
      await db.dirtyWrite(storage, { k: 1, v: 'b' })
    }
    const node = db.node
    await db.close()
    const again = await openDatabase({ name })
    dbs = [again]
    expect(again.node).toBe(node)
    expect(await again.dirtyRead('disc_copies', 1)).toEqual([{ k: 1, v: 'a' }, { k: 1, v: 'b' }])
    expect(await again.dirtyRead('disc_only_copies', 1)).toEqual([{ k: 1, v: 'a' }, { k: 1, v: 'b' }])
    expect(again.tableInfo('disc_only_copies', 'size')).toBe(2)
    expect(await again.dirtyRead('ram_copies', 1)).toEqual([])
    expect(again.tableInfo('ram_copies', 'type')).toBe('bag')
  })

  it('a tab opened while another holds a ram table gets its records', async () => {
    const name = uniqueName()
    const a = await openDatabase({ name })
    await a.createTable('r', { attributes: ['k', 'v'], storage: 'ram_copies' })
    await a.dirtyWrite('r', { k: 1, v: 'kept' })
    const b = await openDatabase({ name })
    dbs = [a, b]
    expect(await b.dirtyRead('r', 1)).toEqual([{ k: 1, v: 'kept' }])
  })

  it('openDatabase keeps the node id it was given at creation', async () => {
    const name = uniqueName()
    const db = await openDatabase({ name, node: 'device-1' })
    dbs = [db]
    expect(db.node).toBe('device-1')
  })
})
