/**
 * The log dumper (src/log/dumper.ts): a commit to a disc_copies table writes the log only; the
 * table's object store catches up in a dump, and until then the stores plus the log after
 * `meta.dumped` are the disc state that a loading tab, a schema change and a restart all see.
 */
import { openDB } from 'idb'
import { afterEach, expect, it } from 'vitest'
import { openDatabase, StorageFullError, type Database, type SystemEvent } from '../../src/index.js'
import { Faults } from '../../src/backend/faults.js'
import { idbBackend, IdbBackend } from '../../src/backend/idb.js'
import { openDatabaseOn } from '../../src/open.js'
import { applyDump, DUMP_THRESHOLD, planFromLog } from '../../src/log/dumper.js'
import { imageRecords } from '../storage/image-rows.js'
import { settle, tick, uniqueName } from './helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

async function open(name: string): Promise<Database> {
  const db = await openDatabase({ name })
  dbs.push(db)
  return db
}

/** The records of a table's object store (its image decoded) and `meta.dumped`, read with plain IndexedDB. */
async function raw(name: string, table: string): Promise<{ rows: unknown[]; dumped: unknown }> {
  const idb = await openDB(`webnesia:${name}`)
  try {
    const def = (await idb.get('schema', table)) as { attributes: string[] }
    const keys = await idb.getAllKeys(`t:${table}`)
    const values = await idb.getAll(`t:${table}`)
    const rows = imageRecords(
      keys.map((key, i) => ({ key, value: values[i] as unknown })),
      def.attributes[0] as string,
    )
    return { rows, dumped: await idb.get('meta', 'dumped') }
  } finally {
    idb.close()
  }
}

interface Internals {
  local: { applied: number; dumps: { dumping: Promise<number> | null } }
}
const internals = (db: Database): Internals['local'] => (db as unknown as Internals).local

it('a commit writes the log, not the store; dumpLog brings the store up to the log', async () => {
  const name = uniqueName('dump')
  const db = await open(name)
  await db.createTable('kv', { attributes: ['k', 'v'] })
  await db.transaction(async (t) => {
    await t.write('kv', { k: 1, v: 'a' })
    await t.write('kv', { k: 2, v: 'b' })
  })
  await db.dirtyDelete('kv', 2)
  expect((await raw(name, 'kv')).rows).toEqual([])
  await db.dumpLog()
  expect(await raw(name, 'kv')).toEqual({ rows: [{ k: 1, v: 'a' }], dumped: internals(db).applied })
})

it('commits never dumped (the tab died) are in the next tab, and in the store once it loaded', async () => {
  const name = uniqueName('dump')
  const dead = await openDatabase({ name }) // never closed: like a killed tab, it dumps nothing
  await dead.createTable('kv', { attributes: ['k', 'v'] })
  for (let k = 0; k < 20; k++) await dead.dirtyWrite('kv', { k, v: k })
  expect((await raw(name, 'kv')).rows).toEqual([])
  const next = await open(name)
  expect((await next.dirtyAllKeys('kv')).length).toBe(20)
  expect((await raw(name, 'kv')).rows.length).toBe(20)
})

it('bags, deleted objects and cleared tables come back from the log exactly as memory has them', async () => {
  const name = uniqueName('dump')
  const a = await open(name)
  await a.createTable('tags', { attributes: ['item', 'tag'], type: 'bag' })
  await a.createTable('ord', { attributes: ['k', 'v'], type: 'ordered_set' })
  for (const tag of ['red', 'blue', 'green']) await a.dirtyWrite('tags', { item: 1, tag })
  await a.dirtyWrite('tags', { item: 2, tag: 'red' })
  await a.dirtyDeleteObject('tags', { item: 1, tag: 'blue' })
  await a.dirtyWrite('ord', { k: 'x', v: 1 })
  await a.clearTable('ord')
  await a.dirtyWrite('ord', { k: 'y', v: 2 })
  await a.transaction(async (t) => {
    await t.delete('tags', 2)
    await t.write('tags', { item: 3, tag: 'new' })
  })
  const b = await open(name) // loads: dumps, then reads the stores
  for (const t of ['tags', 'ord']) expect(await b.dirtyMatchObject(t, {})).toEqual(await a.dirtyMatchObject(t, {}))
  expect((await raw(name, 'tags')).rows).toHaveLength(3)
  expect((await raw(name, 'ord')).rows).toEqual([{ k: 'y', v: 2 }])
})

it('a schema change sees every commit before it: transformTable over an undumped table loses nothing', async () => {
  const name = uniqueName('dump')
  const a = await open(name)
  const b = await open(name)
  await a.createTable('kv', { attributes: ['k', 'v'] })
  for (let k = 0; k < 10; k++) await a.dirtyWrite('kv', { k, v: k })
  await settle(b)
  await b.transformTable('kv', (r) => ({ ...r, v: (r['v'] as number) * 10 }))
  await settle(a)
  const expected = Array.from({ length: 10 }, (_, k) => ({ k, v: k * 10 }))
  expect(await a.dirtyMatchObject('kv', {})).toEqual(expected)
  const c = await open(name)
  expect(await c.dirtyMatchObject('kv', {})).toEqual(expected)
  // and a change of storage type: disc_only_copies reads the store, which must hold everything
  await a.dirtyWrite('kv', { k: 10, v: 100 })
  await a.changeTableCopyType('kv', a.node, 'disc_only_copies')
  expect((await a.dirtyMatchObject('kv', {})).length).toBe(11)
})

it(`a tab whose commits wrote ${String(DUMP_THRESHOLD)} keys dumps without being asked`, async () => {
  const name = uniqueName('dump')
  const db = await open(name)
  await db.createTable('kv', { attributes: ['k', 'v'] })
  await db.transaction(async (t) => {
    for (let k = 0; k < DUMP_THRESHOLD - 1; k++) await t.write('kv', { k, v: k })
  })
  await tick()
  expect(internals(db).dumps.dumping).toBeNull()
  await db.dirtyWrite('kv', { k: -1, v: 0 })
  await tick() // the dump starts in a task of its own
  const dumping = internals(db).dumps.dumping
  expect(dumping).not.toBeNull()
  await dumping
  expect((await raw(name, 'kv')).rows.length).toBe(DUMP_THRESHOLD)
})

it('tabs dumping at once dump each commit once; the log keeps what the stores lack', async () => {
  const name = uniqueName('dump')
  const a = await open(name)
  const b = await open(name)
  await a.createTable('kv', { attributes: ['k', 'v'] })
  await a.createTable('bag', { attributes: ['k', 'v'], type: 'bag' })
  await settle(b)
  const writes: Promise<unknown>[] = []
  for (let k = 0; k < 30; k++) writes.push((k % 2 ? a : b).dirtyWrite(k % 3 ? 'kv' : 'bag', { k: k % 7, v: k }))
  await Promise.all(writes)
  await settle(a, b)
  await Promise.all([a.dumpLog(), b.dumpLog(), a.dumpLog()])
  const c = await open(name)
  for (const t of ['kv', 'bag']) expect(await c.dirtyMatchObject(t, {})).toEqual(await a.dirtyMatchObject(t, {}))
  expect((await raw(name, 'kv')).dumped).toBe(internals(a).applied)
})

it('a background dump that read the log before another dump went first writes only what is still missing', async () => {
  const name = uniqueName('dump')
  const a = await open(name)
  await a.createTable('kv', { attributes: ['k', 'v'] })
  await a.dirtyWrite('kv', { k: 1, v: 'a' })
  const idb = new IdbBackend(name, () => undefined)
  try {
    // A dump reads the log (entry: k1 = a) ...
    const stale = await planFromLog(await idb.transaction(['meta', 'schema', 'log'], 'readonly'))
    expect(stale.entries.length).toBeGreaterThan(0)
    // ... meanwhile k1 is deleted, k2 written, and another dump writes all of it ...
    await a.dirtyDelete('kv', 1)
    await a.dirtyWrite('kv', { k: 2, v: 'b' })
    await a.dumpLog()
    // ... then the first dump writes: nothing of it may land (k1 would come back).
    const tx = await idb.transaction(['meta', 't:kv'], 'readwrite')
    expect(await applyDump(tx, stale)).toBe(internals(a).applied)
    await tx.done
  } finally {
    idb.close()
  }
  expect(await raw(name, 'kv')).toEqual({ rows: [{ k: 2, v: 'b' }], dumped: internals(a).applied })
})

it('a tab reports no more than the stores hold, so an older tab truncating by the reports alone loses nothing', async () => {
  const name = uniqueName('dump')
  const a = await open(name)
  await a.createTable('kv', { attributes: ['k', 'v'] })
  for (let k = 0; k < 5; k++) await a.dirtyWrite('kv', { k, v: k })
  // The dump fails (say, the disc is full): the log holds the only copy of the writes.
  const local = (a as unknown as { local: { dumps: { dump: () => Promise<number> }; housekeeping: () => Promise<void> } }).local
  local.dumps.dump = () => Promise.resolve(0)
  await local.housekeeping()
  // A format-3 tab's truncation: every log record below what all tabs report, but the last.
  const idb = await openDB(`webnesia:${name}`)
  const tabs = (await idb.getAll('tabs')) as { applied: number }[]
  const keys = (await idb.getAllKeys('log')) as number[]
  const cut = Math.min(...tabs.map((t) => t.applied), Math.max(...keys) - 1)
  if (cut > 0) await idb.delete('log', IDBKeyRange.upperBound(cut))
  idb.close()
  const b = await open(name)
  expect(await b.dirtyAllKeys('kv')).toEqual([0, 1, 2, 3, 4])
})

it('a dump the disc refuses: dumpLog rejects typed, a background dump says dump_failed, nothing is lost', async () => {
  const name = uniqueName('dump')
  const faults = new Faults()
  const db = await openDatabaseOn(faults.wrap(idbBackend), { name })
  dbs.push(db)
  await db.createTable('kv', { attributes: ['k', 'v'] })
  // The disc is full for the table's store: every write of a dump into it fails.
  const full = faults.add({ store: 't:kv', op: 'put', persistent: true, error: 'QuotaExceededError' })
  try {
    await db.dirtyWrite('kv', { k: 0, v: 0 })
    await expect(db.dumpLog()).rejects.toBeInstanceOf(StorageFullError)
    const failed = new Promise<SystemEvent>((resolve) => {
      db.subscribe('system', (e) => {
        if (e.type === 'dump_failed') resolve(e)
      })
    })
    await db.transaction(async (t) => {
      for (let k = 1; k <= DUMP_THRESHOLD; k++) await t.write('kv', { k, v: k })
    })
    expect(await failed).toMatchObject({ type: 'dump_failed', code: 'quota' })
    expect(full.failed).toBeGreaterThanOrEqual(2)
  } finally {
    full.remove()
  }
  expect((await raw(name, 'kv')).rows).toEqual([])
  const other = await open(name)
  expect((await other.dirtyAllKeys('kv')).length).toBe(DUMP_THRESHOLD + 1)
  expect((await raw(name, 'kv')).rows.length).toBe(DUMP_THRESHOLD + 1)
})

it('a table deleted in another tab: this tab dumps its other writes, and none into the deleted store', async () => {
  const name = uniqueName('dump')
  const a = await open(name)
  const b = await open(name)
  await a.createTable('gone', { attributes: ['k', 'v'] })
  await a.createTable('kept', { attributes: ['k', 'v'] })
  await settle(b)
  await b.dirtyWrite('gone', { k: 1, v: 1 })
  await b.dirtyWrite('kept', { k: 1, v: 1 })
  await settle(a)
  await a.deleteTable('gone') // dumps everything before it, in its own transaction
  await b.dirtyWrite('kept', { k: 2, v: 2 }) // b catches up with the deletion first
  await b.dumpLog() // a transaction naming the deleted table's store would fail
  expect((await raw(name, 'kept')).rows).toEqual([
    { k: 1, v: 1 },
    { k: 2, v: 2 },
  ])
})

it('a load reads the stores in chunks: a bag key whose rows span two chunks keeps them all', async () => {
  const name = uniqueName('dump')
  const a = await open(name)
  await a.createTable('tags', { attributes: ['item', 'tag'], type: 'bag' })
  await a.createTable('kv', { attributes: ['k', 'v'] })
  await a.transaction(async (t) => {
    for (let i = 0; i < 3000; i++) await t.write('tags', { item: 1, tag: i })
    for (let i = 0; i < 3000; i++) await t.write('tags', { item: 2, tag: i }) // rows 3000–5999: the 4096 boundary
    for (let k = 0; k < 5000; k++) await t.write('kv', { k, v: k })
  })
  await a.dumpLog()
  const b = await open(name)
  expect((await b.dirtyRead('tags', 1)).length).toBe(3000)
  expect((await b.dirtyRead('tags', 2)).length).toBe(3000)
  expect(b.tableInfo('kv', 'size')).toBe(5000)
  expect(await b.dirtyRead('kv', 4999)).toEqual([{ k: 4999, v: 4999 }])
}, 60_000) // 11,000 writes and a load: slow on a loaded machine, not stuck
