/**
 * Shared helpers of the benchmark pages: records, timing, database names and clean-up.
 * Everything here runs in the page (Chromium), driven by `bench/run.mjs`.
 */
import { openDatabase, type Database } from '../../src/index.js'
import { prng } from '../../src/replication/faults.js'

/** A benchmark record: ~100 bytes of JSON, with numbers, strings and an array. */
export interface Item {
  [attr: string]: unknown
  id: number
  name: string
  email: string
  age: number
  score: number
  tags: string[]
  grp: number
}

/** Attributes of the library's `items` tables (the key first). */
export const ITEM_ATTRS = ['id', 'name', 'email', 'age', 'score', 'tags', 'grp'] as const

/** Record `i` (deterministic). `groups` sets how many distinct `grp` values there are. */
export function item(i: number, groups = 10_000): Item {
  return {
    id: i,
    name: `user-${String(i).padStart(6, '0')}`,
    email: `u${String(i)}@example.com`,
    age: 18 + (i % 60),
    score: (i * 37) % 1000 + 0.25,
    tags: [`t${String(i % 7)}`, `t${String((i * 3) % 11)}`],
    grp: i % groups,
  }
}

/** Records 0 .. n-1. */
export function items(n: number, groups?: number): Item[] {
  const out = new Array<Item>(n)
  for (let i = 0; i < n; i++) out[i] = item(i, groups)
  return out
}

/** A deterministic PRNG (mulberry32, the one the replication fault hook uses), so every run reads the same keys. */
export { prng }

/** `m` keys drawn uniformly from 0 .. n-1. */
export function randomKeys(m: number, n: number, seed = 42): number[] {
  const r = prng(seed)
  const out = new Array<number>(m)
  for (let i = 0; i < m; i++) out[i] = Math.floor(r() * n)
  return out
}

export const now = (): number => performance.now()


/** A name no other repetition uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

/** Deletes an IndexedDB database; resolves when gone (or when blocked: it goes once closed). */
export function deleteIdb(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name)
    req.onsuccess = () => {
      resolve()
    }
    req.onerror = () => {
      reject(req.error ?? new Error(`deleteDatabase ${name} failed`))
    }
    req.onblocked = () => {
      resolve()
    }
  })
}

/** Deletes every IndexedDB database of this origin (between workloads). */
export async function deleteAllIdb(): Promise<number> {
  const dbs = await indexedDB.databases()
  await Promise.all(dbs.map((d) => (d.name ? deleteIdb(d.name) : Promise.resolve())))
  return dbs.length
}

/** A library node with one `items` table filled with `records` (written in chunks of `chunk`). */
export async function libWithItems(
  name: string,
  records: readonly Item[],
  opts: { table?: string; type?: 'set' | 'ordered_set'; index?: string[]; chunk?: number } = {},
): Promise<Database> {
  const db = await openDatabase({ name })
  const table = opts.table ?? 'items'
  await db.createTable(table, { attributes: [...ITEM_ATTRS], type: opts.type ?? 'set', storage: 'disc_copies', index: opts.index ?? [] })
  await fillLib(db, table, records, opts.chunk)
  return db
}

/** Writes records into a library table, `chunk` per transaction. */
export async function fillLib(db: Database, table: string, records: readonly Record<string, unknown>[], chunk = 10_000): Promise<void> {
  for (let i = 0; i < records.length; i += chunk) {
    const part = records.slice(i, i + chunk)
    await db.transaction(async (t) => {
      for (const r of part) await t.write(table, r)
    })
  }
}

/** Closes a library node and deletes its IndexedDB database. */
export async function dropLib(db: Database): Promise<void> {
  const name = db.name
  await db.close()
  await deleteIdb(`webnesia:${name}`)
}

/** The result of an IndexedDB request. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      resolve(req.result)
    }
    req.onerror = () => {
      reject(req.error ?? new Error('IndexedDB request failed'))
    }
  })
}

/** Resolves when a transaction completes (rejects when it aborts or fails). */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => {
      resolve()
    }
    tx.onabort = tx.onerror = () => {
      reject(tx.error ?? new Error('IndexedDB transaction aborted'))
    }
  })
}

/** Opens a raw IndexedDB database (plain browser API, no wrapper), creating store `items` (keyPath `id`). */
export function rawOpen(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1)
  req.onupgradeneeded = () => {
    req.result.createObjectStore('items', { keyPath: 'id' })
  }
  return request(req)
}

/** A raw IndexedDB database with one store `items`, optionally filled (strict commits of 10k). */
export async function rawWithItems(name: string, records: readonly Item[] = []): Promise<IDBDatabase> {
  const db = await rawOpen(name)
  for (let i = 0; i < records.length; i += 10_000) {
    const tx = db.transaction('items', 'readwrite', { durability: 'strict' })
    const store = tx.objectStore('items')
    for (const r of records.slice(i, i + 10_000)) store.put(r)
    await done(tx)
  }
  return db
}

/** Number of records in a raw database's `items` store. */
export function rawCount(db: IDBDatabase): Promise<number> {
  return request(db.transaction('items', 'readonly').objectStore('items').count())
}

/** Closes and deletes a raw database. */
export async function dropRaw(db: IDBDatabase): Promise<void> {
  const name = db.name
  db.close()
  await deleteIdb(name)
}

/** Quantile `q` (0..1) of numbers (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))
  return s[i] as number
}

/** Throws when `cond` is false (a benchmark that computed the wrong thing must not report a number). */
export function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`benchmark check failed: ${what}`)
}

/**
 * Marks a measured section for `npm run bench -- --profile` (a DevTools console profile, which
 * run.mjs receives over CDP). Does nothing unless run.mjs set `window.benchProfile`.
 */
export function profileStart(label: string): void {
  if ((globalThis as { benchProfile?: boolean }).benchProfile) console.profile(label)
}

/** Ends a section started by {@link profileStart}. */
export function profileEnd(label: string): void {
  if ((globalThis as { benchProfile?: boolean }).benchProfile) console.profileEnd(label)
}

/**
 * Runs the contenders of one repetition, starting at a different one in each repetition, so none
 * always runs first (on a fresh IndexedDB backend) or last (after the others' clean-up).
 */
export async function rotated(rep: number, contenders: readonly (() => Promise<void>)[]): Promise<void> {
  const n = contenders.length
  const start = ((rep % n) + n) % n
  for (let i = 0; i < n; i++) await (contenders[(start + i) % n] as () => Promise<void>)()
}
