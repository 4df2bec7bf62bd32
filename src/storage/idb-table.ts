/**
 * A table copy in durable storage (the backend: backend/backend.ts, IndexedDB in a browser): the
 * whole of disc_only_copies (written by each commit; every read goes to the backend, nothing is
 * held in memory). The disc half of disc_copies is an image of snapshot chunks and deltas
 * (storage/disc-image.ts); formats before 5 kept it in this layout (log/format.ts converts it).
 *
 * Layout of the store `t:<table>` (see log/connection.ts): set and ordered_set tables store
 * each record under its key; bag tables store each record under `[key, canonical(record)]`, so a
 * key's records are the range `[key] ≤ pk < [key, []]` and a duplicate record is the same row.
 * disc_only_copies tables carry one IndexedDB index per indexed attribute.
 *
 * @module
 */
import { KeyRange, type Query, type StorageBackend, type Store, type StoreKey } from '../backend/backend.js'
import { fire } from '../backend/requests.js'
import { storeName, type TableDef } from '../schema/table-def.js'
import type { Bounds } from './key-store.js'
import type { KeyChange, TableReader } from './reader.js'
import { adoptRecord, type Rec } from './record.js'
import { canonical, compareKeys, isValidKey, type Key } from './term.js'

/** The range of primary keys holding key `key`'s rows. */
export function keyRange(def: Pick<TableDef, 'type'>, key: Key): Query {
  return def.type === 'bag' ? KeyRange.bound([key as StoreKey], [key as StoreKey, []], false, true) : KeyRange.only(key as StoreKey)
}

/** A range of primary keys of a store. */
interface PkRange {
  lower?: unknown
  upper?: unknown
  lowerOpen: boolean
  upperOpen: boolean
}

/** Translates user-key bounds to primary-key bounds of the store (bags store `[key, canonical]`). */
function pkRange(def: Pick<TableDef, 'type'>, b: Bounds): PkRange {
  const r: PkRange = { lower: b.lower, upper: b.upper, lowerOpen: b.lowerOpen ?? false, upperOpen: b.upperOpen ?? false }
  if (def.type === 'bag') {
    if (b.lower !== undefined) r.lower = r.lowerOpen ? [b.lower, []] : [b.lower]
    if (b.upper !== undefined) {
      r.upper = r.upperOpen ? [b.upper] : [b.upper, []]
      r.upperOpen = true
    }
  }
  return r
}

/** A key range for primary-key bounds; `null` when the range is empty. */
function idbRange(r: PkRange): KeyRange | undefined | null {
  if (r.lower !== undefined && r.upper !== undefined) {
    const c = compareKeys(r.lower, r.upper)
    if (c > 0 || (c === 0 && (r.lowerOpen || r.upperOpen))) return null
    return KeyRange.bound(r.lower as StoreKey, r.upper as StoreKey, r.lowerOpen, r.upperOpen)
  }
  if (r.lower !== undefined) return KeyRange.lowerBound(r.lower as StoreKey, r.lowerOpen)
  if (r.upper !== undefined) return KeyRange.upperBound(r.upper as StoreKey, r.upperOpen)
  return undefined
}

function userKey(def: Pick<TableDef, 'type'>, pk: StoreKey): Key {
  return (def.type === 'bag' ? (pk as unknown[])[0] : pk) as Key
}

/** Writes one key's new state into the table's store (inside a commit's transaction). */
export function writeChange(store: Store, def: TableDef, change: KeyChange): void {
  const { key, old, recs } = change
  if (def.type !== 'bag') {
    if (recs.length === 0) {
      if (old.length > 0 || def.storage === 'disc_only_copies') fire(store.delete(key as StoreKey))
    } else fire(store.put(recs[0], key as StoreKey))
    return
  }
  const before = new Set(old.map(canonical))
  const after = new Set<string>()
  for (const r of recs) {
    const c = canonical(r)
    after.add(c)
    if (!before.has(c)) fire(store.put(r, [key, c] as StoreKey))
  }
  for (const c of before) if (!after.has(c)) fire(store.delete([key, c] as StoreKey))
}

/**
 * Groups a store's rows, in key order, into each key's records (a bag key has one row per record),
 * adopting them ({@link adoptRecord}). Rows may come in several chunks: a key's rows can span two.
 */
export class RowGrouper {
  private readonly keyAttr: string
  private curKey: Key | undefined
  private cur: Rec[] = []
  constructor(
    def: TableDef,
    private readonly out: (key: Key, recs: Rec[]) => void,
  ) {
    this.keyAttr = def.attributes[0] as string
  }

  push(rows: readonly unknown[]): void {
    for (const row of rows) {
      const r = adoptRecord(row as Record<string, unknown>)
      const k = r[this.keyAttr] as Key
      if (this.curKey !== undefined && compareKeys(k, this.curKey) === 0) {
        this.cur.push(r)
        continue
      }
      if (this.curKey !== undefined) this.out(this.curKey, this.cur)
      this.curKey = k
      this.cur = [r]
    }
  }

  end(): void {
    if (this.curKey !== undefined) this.out(this.curKey, this.cur)
    this.curKey = undefined
    this.cur = []
  }
}

/** Groups a store's rows, in key order, into each key's records. */
export function groupRows(def: TableDef, rows: readonly unknown[], out: (key: Key, recs: Rec[]) => void): void {
  const g = new RowGrouper(def, out)
  g.push(rows)
  g.end()
}

/** Rows per request of {@link readStore}. */
const LOAD_CHUNK = 4096

/**
 * Reads every row of a store in key order, in chunks, handing each key's records to `out`; the
 * request for the next chunk is issued before the current one is processed, so the backend reads
 * while the caller builds its copy (a cold load overlaps the two instead of adding them).
 */
export async function readStore(store: Store, def: TableDef, out: (key: Key, recs: Rec[]) => void): Promise<void> {
  const grouper = new RowGrouper(def, out)
  await store.readChunks(LOAD_CHUNK, (rows) => {
    grouper.push(rows)
  })
  grouper.end()
}

/** Read access to a table's object store. */
export class IdbTable implements TableReader {
  readonly store: string
  constructor(
    readonly def: TableDef,
    private readonly backend: StorageBackend,
  ) {
    this.store = storeName(def)
  }

  private async ro(): Promise<Store> {
    const tx = await this.backend.transaction([this.store], 'readonly')
    return tx.store(this.store)
  }

  async read(key: Key): Promise<readonly Rec[]> {
    const s = await this.ro()
    const rows = await s.getAll(keyRange(this.def, key))
    return rows.map((r) => adoptRecord(r as Record<string, unknown>))
  }

  async indexRead(attr: string, value: unknown): Promise<readonly Rec[]> {
    const s = await this.ro()
    if (isValidKey(value) && s.hasIndex(attr)) {
      const rows = await s.indexGetAll(attr, value as StoreKey)
      const c = canonical(value)
      return rows.map((r) => adoptRecord(r as Record<string, unknown>)).filter((r) => canonical(r[attr]) === c)
    }
    const c = canonical(value)
    const rows = await s.getAll()
    return rows
      .filter((r) => {
        const v = (r as Record<string, unknown>)[attr]
        return v !== undefined && canonical(v) === c
      })
      .map((r) => adoptRecord(r as Record<string, unknown>))
  }

  private async edgeKey(range: KeyRange | undefined | null, direction: 'next' | 'prev'): Promise<Key | undefined> {
    if (range === null) return undefined
    const s = await this.ro()
    const pk = await s.edgeKey(range, direction)
    return pk !== undefined ? userKey(this.def, pk) : undefined
  }
  first(): Promise<Key | undefined> {
    return this.edgeKey(undefined, 'next')
  }
  last(): Promise<Key | undefined> {
    return this.edgeKey(undefined, 'prev')
  }
  next(key: Key): Promise<Key | undefined> {
    return this.edgeKey(idbRange(pkRange(this.def, { lower: key, lowerOpen: true })), 'next')
  }
  prev(key: Key): Promise<Key | undefined> {
    return this.edgeKey(idbRange(pkRange(this.def, { upper: key, upperOpen: true })), 'prev')
  }
  async allKeys(): Promise<Key[]> {
    const s = await this.ro()
    const pks = await s.getAllKeys()
    if (this.def.type !== 'bag') return pks
    const out: Key[] = []
    for (const pk of pks) {
      const k = userKey(this.def, pk)
      if (out.length === 0 || compareKeys(out[out.length - 1], k) !== 0) out.push(k)
    }
    return out
  }
  async count(): Promise<number> {
    const s = await this.ro()
    return s.count()
  }

  /** Scans in batches; each batch is read in its own short transaction, so memory stays O(batch). */
  async *scan(bounds: Bounds, reverse: boolean, batch: number): AsyncIterable<readonly Rec[]> {
    const r = pkRange(this.def, bounds)
    for (;;) {
      const range = idbRange(r)
      if (range === null) return
      const s = await this.ro()
      const got = await s.entries(range, reverse ? 'prev' : 'next', batch)
      const rows = got.map((e) => e.value)
      const lastPk = got[got.length - 1]?.key
      if (rows.length === 0) return
      yield rows.map((x) => adoptRecord(x as Record<string, unknown>))
      if (rows.length < batch) return
      if (reverse) {
        r.upper = lastPk
        r.upperOpen = true
      } else {
        r.lower = lastPk
        r.lowerOpen = true
      }
    }
  }
}
