/**
 * A table copy in memory (ram_copies, and the memory half of disc_copies).
 *
 * Keys live in a {@link KeyStore} (hash for set/bag, B+ tree for ordered_set); each key holds a
 * {@link Slot}: its records and the LSN of the commit that last changed them, which is the version
 * optimistic transactions validate against. The table's own version is the LSN of the last
 * commit that touched it (table locks, scans and folds validate against that).
 *
 * Per-table commit hooks ({@link TableHook}) see every change of a key after it is applied;
 * secondary indexes are hooks, and so is anything else that must follow the table exactly
 * (Mnesia's mnesia_index works the same way).
 *
 * @module
 */
import type { TableDef } from '../schema/table-def.js'
import { HashKeyStore, OrderedKeyStore, type Bounds, type KeyStore, type Slot } from './key-store.js'
import type { KeyChange, TableReader } from './reader.js'
import { hasMutableLeaves, type Rec } from './record.js'
import { canonical, compareKeys, KeyMap, type Key } from './term.js'

const EMPTY: readonly Rec[] = Object.freeze([])

/** Sees every change applied to a memory table. */
export interface TableHook {
  change(key: Key, old: readonly Rec[], recs: readonly Rec[]): void
  clear(): void
}

/** A secondary index over one attribute: value (deep equality) → keys having it. */
export class MemoryIndex implements TableHook {
  private readonly map = new KeyMap<KeyMap<Key>>()
  constructor(readonly attr: string) {}

  change(key: Key, old: readonly Rec[], recs: readonly Rec[]): void {
    const before = this.values(old)
    const after = this.values(recs)
    for (const [c, v] of before) if (!after.has(c)) this.remove(v, key)
    for (const [c, v] of after) if (!before.has(c)) this.add(v, key)
  }
  clear(): void {
    this.map.clear()
  }
  /** Keys whose records carry `value` in the indexed attribute. */
  keys(value: unknown): Key[] {
    const ks = this.map.get(value)
    return ks ? [...ks.values()] : []
  }
  private values(recs: readonly Rec[]): Map<string, unknown> {
    const m = new Map<string, unknown>()
    for (const r of recs) {
      const v = r[this.attr]
      if (v !== undefined) m.set(typeof v === 'string' || typeof v === 'number' ? typeof v + v : canonical(v), v)
    }
    return m
  }
  private add(v: unknown, key: Key): void {
    let ks = this.map.get(v)
    if (!ks) this.map.set(v, (ks = new KeyMap<Key>()))
    ks.set(key, key)
  }
  private remove(v: unknown, key: Key): void {
    const ks = this.map.get(v)
    if (!ks) return
    ks.delete(key)
    if (ks.size === 0) this.map.delete(v)
  }
}

/** A table copy held in memory. */
export class MemoryTable implements TableReader {
  private readonly store: KeyStore
  private readonly indexes = new Map<string, MemoryIndex>()
  private readonly hooks: TableHook[] = []
  private records = 0
  /** LSN of the last commit that changed this table. */
  version = 0
  /**
   * False while no record with mutable leaves (record.ts `hasMutableLeaves`: a Date, a binary
   * value) ever entered this table: its records can be handed out without a clone check.
   */
  mutableLeaves = false

  constructor(readonly def: TableDef) {
    this.store = def.type === 'ordered_set' ? new OrderedKeyStore() : new HashKeyStore()
    for (const attr of def.index) this.addIndex(attr)
  }

  /** Builds (or rebuilds) the index of `attr`. */
  addIndex(attr: string): void {
    this.delIndex(attr)
    const idx = new MemoryIndex(attr)
    for (const s of this.store.values()) idx.change(s.key, EMPTY, s.recs)
    this.indexes.set(attr, idx)
    this.hooks.push(idx)
  }
  delIndex(attr: string): void {
    const idx = this.indexes.get(attr)
    if (!idx) return
    this.indexes.delete(attr)
    this.hooks.splice(this.hooks.indexOf(idx), 1)
  }
  /** Adds a per-table commit hook; returns its removal. */
  addHook(hook: TableHook): () => void {
    this.hooks.push(hook)
    return () => {
      const i = this.hooks.indexOf(hook)
      if (i >= 0) this.hooks.splice(i, 1)
    }
  }

  // ---- synchronous reads (the hot path) ----

  get size(): number {
    return this.records
  }
  slot(key: Key): Slot | undefined {
    return this.store.get(key)
  }
  readSync(key: Key): readonly Rec[] {
    return this.store.get(key)?.recs ?? EMPTY
  }
  hasIndex(attr: string): boolean {
    return this.indexes.has(attr)
  }
  indexKeys(attr: string, value: unknown): Key[] | undefined {
    return this.indexes.get(attr)?.keys(value)
  }
  /** The records whose `attr` deep-equals `value`, in term order of keys (as every read). */
  indexReadSync(attr: string, value: unknown): readonly Rec[] {
    const idx = this.indexes.get(attr)
    const out: Rec[] = []
    if (idx) {
      const c = canonical(value)
      // The index keeps keys in insertion order: present them in the table's order.
      const keys = idx.keys(value)
      if (keys.length > 1) keys.sort(compareKeys)
      for (const k of keys) {
        for (const r of this.readSync(k)) if (canonical(r[attr]) === c) out.push(r)
      }
      return out
    }
    const c = canonical(value)
    for (const s of this.store.walk({}, false)) for (const r of s.recs) if (r[attr] !== undefined && canonical(r[attr]) === c) out.push(r)
    return out
  }
  slots(): IterableIterator<Slot> {
    return this.store.values()
  }
  walk(bounds: Bounds, reverse: boolean): IterableIterator<Slot> {
    return this.store.walk(bounds, reverse)
  }
  firstSync(): Key | undefined {
    return this.store.first()
  }
  lastSync(): Key | undefined {
    return this.store.last()
  }
  nextSync(key: Key): Key | undefined {
    return this.store.next(key)
  }
  prevSync(key: Key): Key | undefined {
    return this.store.prev(key)
  }
  keySlots(): number {
    return this.store.size
  }

  // ---- writes (only from the commit path) ----

  /** Sets the records of a key; returns what was there. */
  apply(change: KeyChange, lsn: number): void {
    const { key, recs } = change
    if (!this.mutableLeaves) for (const r of recs) if (hasMutableLeaves(r)) this.mutableLeaves = true
    const slot = this.store.get(key)
    const old = slot?.recs ?? EMPTY
    if (recs.length === 0) {
      if (slot) this.store.delete(key)
    } else if (slot) {
      slot.recs = recs
      slot.v = lsn
    } else {
      this.store.set({ key, recs, v: lsn })
    }
    this.records += recs.length - old.length
    if (lsn > this.version) this.version = lsn
    for (const h of this.hooks) h.change(key, old, recs)
  }
  clear(lsn: number): void {
    this.store.clear()
    this.records = 0
    if (lsn > this.version) this.version = lsn
    for (const h of this.hooks) h.clear()
  }

  // ---- TableReader ----

  read(key: Key): Promise<readonly Rec[]> {
    return Promise.resolve(this.readSync(key))
  }
  indexRead(attr: string, value: unknown): Promise<readonly Rec[]> {
    return Promise.resolve(this.indexReadSync(attr, value))
  }
  first(): Promise<Key | undefined> {
    return Promise.resolve(this.firstSync())
  }
  last(): Promise<Key | undefined> {
    return Promise.resolve(this.lastSync())
  }
  next(key: Key): Promise<Key | undefined> {
    return Promise.resolve(this.nextSync(key))
  }
  prev(key: Key): Promise<Key | undefined> {
    return Promise.resolve(this.prevSync(key))
  }
  allKeys(): Promise<Key[]> {
    const out: Key[] = []
    for (const s of this.store.walk({}, false)) out.push(s.key)
    return Promise.resolve(out)
  }
  count(): Promise<number> {
    return Promise.resolve(this.records)
  }
  // eslint-disable-next-line @typescript-eslint/require-await -- an in-memory TableReader.scan: nothing to wait for
  async *scan(bounds: Bounds, reverse: boolean, batch: number): AsyncIterable<readonly Rec[]> {
    let buf: Rec[] = []
    for (const s of this.store.walk(bounds, reverse)) {
      if (reverse) for (let i = s.recs.length - 1; i >= 0; i--) buf.push(s.recs[i] as Rec)
      else for (const r of s.recs) buf.push(r)
      if (buf.length >= batch) {
        yield buf
        buf = []
      }
    }
    if (buf.length > 0) yield buf
  }
}
