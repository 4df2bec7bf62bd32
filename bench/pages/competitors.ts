/**
 * The competitors' set-up: Dexie (strict durability, like the library's commits) and RxDB with its
 * free Dexie storage.
 */
import Dexie, { type Table } from 'dexie'
import { createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb'
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie'
import { deleteIdb, type Item } from './common.js'

/** A Dexie database with one table `items` (primary key `id`, optional indexes). */
export async function dexieWithItems(name: string, records: readonly Item[] = [], indexes: string[] = []): Promise<{ db: Dexie; table: Table<Item, number> }> {
  const db = new Dexie(name, { chromeTransactionDurability: 'strict' })
  db.version(1).stores({ items: ['id', ...indexes].join(',') })
  await db.open()
  const table = db.table<Item, number>('items')
  for (let i = 0; i < records.length; i += 10_000) await table.bulkPut(records.slice(i, i + 10_000))
  return { db, table }
}

export async function dropDexie(db: Dexie): Promise<void> {
  const name = db.name
  db.close()
  await deleteIdb(name)
}

/** RxDB document: RxDB wants a string primary key, so `id` is stored as a padded string. */
export interface RxItem {
  id: string
  name: string
  email: string
  age: number
  score: number
  tags: string[]
  grp: number
}

export function rxItem(r: Item): RxItem {
  return { ...r, id: String(r.id).padStart(8, '0') }
}

const rxSchema = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 16 },
    name: { type: 'string' },
    email: { type: 'string' },
    age: { type: 'number' },
    score: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' } },
    grp: { type: 'number' },
  },
  required: ['id'],
} as const

/** An RxDB database (free Dexie storage) with one collection `items`. */
export async function rxdbWithItems(name: string, records: readonly Item[] = []): Promise<{ db: RxDatabase; items: RxCollection<RxItem> }> {
  const db = await createRxDatabase({ name, storage: getRxStorageDexie(), multiInstance: false, eventReduce: true })
  const cols = await db.addCollections({ items: { schema: rxSchema } })
  const items = cols['items'] as unknown as RxCollection<RxItem>
  for (let i = 0; i < records.length; i += 10_000) await items.bulkUpsert(records.slice(i, i + 10_000).map(rxItem))
  return { db, items }
}

export async function dropRxdb(db: RxDatabase): Promise<void> {
  await db.remove()
}
