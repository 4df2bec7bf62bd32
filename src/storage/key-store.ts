/**
 * Where a memory table keeps its keys: a hash map for `set` and `bag` (O(1) point reads) and a
 * B+ tree from `sorted-btree` for `ordered_set` (term-ordered iteration, range scans).
 *
 * Both iterate in term order: the hash store keeps a sorted array of its keys, built lazily when
 * an ordered walk (first/next, folds, chunked scans) needs it and dropped when a key is added or
 * removed. Mnesia leaves the order of `set` tables unspecified; term order everywhere keeps the
 * memory copy, the IndexedDB copy and every tab in agreement.
 *
 * `sorted-btree` is loaded with a dynamic `import()` (btree.ts, `loadBTree`) when the first
 * `ordered_set` table appears, so an app without one does not ship it. A table that appears before
 * it arrived (loaded from disc, or created by another tab) starts in a hash store, correct but
 * with O(n log n) ordered walks after each change, and moves into a tree once the module is there
 * ({@link OrderedKeyStore}); `createTable` waits for the module, so a table it creates is a tree
 * from the start.
 *
 * @module
 */
import type { Rec } from './record.js'
import { loadBTree, loadedBTree, type BTreeCtor, type BTreeType } from './btree.js'
import { compareKeys, KeyMap, type Key } from './term.js'

/** The records stored under one key, and the LSN of the commit that last changed them. */
export interface Slot {
  readonly key: Key
  recs: readonly Rec[]
  v: number
}

/** Bounds of an ordered walk. */
export interface Bounds {
  lower?: Key
  upper?: Key
  lowerOpen?: boolean
  upperOpen?: boolean
}

/** The key store of a memory table. */
export interface KeyStore {
  readonly size: number
  get(key: Key): Slot | undefined
  set(slot: Slot): void
  delete(key: Key): void
  clear(): void
  /** Unordered, fastest iteration over every slot. */
  values(): IterableIterator<Slot>
  /** Slots in term order (or reverse) within bounds. */
  walk(bounds: Bounds, reverse: boolean): IterableIterator<Slot>
  first(): Key | undefined
  last(): Key | undefined
  next(key: Key): Key | undefined
  prev(key: Key): Key | undefined
}

function lowerIndex(keys: readonly Key[], key: Key, open: boolean): number {
  // first index i with keys[i] > key (open) or >= key (closed)
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const c = compareKeys(keys[mid], key)
    if (c < 0 || (open && c === 0)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Hash key store (set, bag). */
export class HashKeyStore implements KeyStore {
  private readonly map = new KeyMap<Slot>()
  private sorted: Key[] | null = null

  get size(): number {
    return this.map.size
  }
  get(key: Key): Slot | undefined {
    return this.map.get(key)
  }
  set(slot: Slot): void {
    if (this.sorted !== null && !this.map.has(slot.key)) this.sorted = null
    this.map.set(slot.key, slot)
  }
  delete(key: Key): void {
    if (this.map.delete(key)) this.sorted = null
  }
  clear(): void {
    this.map.clear()
    this.sorted = null
  }
  values(): IterableIterator<Slot> {
    return this.map.values()
  }
  private keys(): Key[] {
    if (this.sorted === null) {
      const ks: Key[] = []
      for (const s of this.map.values()) ks.push(s.key)
      ks.sort(compareKeys)
      this.sorted = ks
    }
    return this.sorted
  }
  *walk(b: Bounds, reverse: boolean): IterableIterator<Slot> {
    const keys = this.keys()
    const from = b.lower === undefined ? 0 : lowerIndex(keys, b.lower, b.lowerOpen ?? false)
    const to = b.upper === undefined ? keys.length : lowerIndex(keys, b.upper, !(b.upperOpen ?? false))
    if (reverse) {
      for (let i = to - 1; i >= from; i--) {
        const s = this.map.get(keys[i])
        if (s) yield s
      }
    } else {
      for (let i = from; i < to; i++) {
        const s = this.map.get(keys[i])
        if (s) yield s
      }
    }
  }
  first(): Key | undefined {
    return this.keys()[0]
  }
  last(): Key | undefined {
    const ks = this.keys()
    return ks[ks.length - 1]
  }
  next(key: Key): Key | undefined {
    const ks = this.keys()
    return ks[lowerIndex(ks, key, true)]
  }
  prev(key: Key): Key | undefined {
    const ks = this.keys()
    return ks[lowerIndex(ks, key, false) - 1]
  }
}

/** B+ tree key store (ordered_set). */
export class TreeKeyStore implements KeyStore {
  private readonly tree: BTreeType<Key, Slot>

  constructor(BTree: BTreeCtor) {
    this.tree = new BTree<Key, Slot>(undefined, compareKeys)
  }

  get size(): number {
    return this.tree.size
  }
  get(key: Key): Slot | undefined {
    return this.tree.get(key)
  }
  set(slot: Slot): void {
    this.tree.set(slot.key, slot)
  }
  delete(key: Key): void {
    this.tree.delete(key)
  }
  clear(): void {
    this.tree.clear()
  }
  values(): IterableIterator<Slot> {
    return this.tree.values()
  }
  *walk(b: Bounds, reverse: boolean): IterableIterator<Slot> {
    if (!reverse) {
      const it = b.lower === undefined ? this.tree.entries() : this.tree.entries(b.lower)
      for (const [k, s] of it) {
        if (b.lower !== undefined && b.lowerOpen && compareKeys(k, b.lower) === 0) continue
        if (b.upper !== undefined) {
          const c = compareKeys(k, b.upper)
          if (c > 0 || (c === 0 && b.upperOpen)) return
        }
        yield s
      }
    } else {
      const it = b.upper === undefined ? this.tree.entriesReversed() : this.tree.entriesReversed(b.upper)
      for (const [k, s] of it) {
        if (b.upper !== undefined && b.upperOpen && compareKeys(k, b.upper) === 0) continue
        if (b.lower !== undefined) {
          const c = compareKeys(k, b.lower)
          if (c < 0 || (c === 0 && b.lowerOpen)) return
        }
        yield s
      }
    }
  }
  first(): Key | undefined {
    return this.tree.minKey()
  }
  last(): Key | undefined {
    return this.tree.maxKey()
  }
  next(key: Key): Key | undefined {
    return this.tree.nextHigherPair(key)?.[0]
  }
  prev(key: Key): Key | undefined {
    return this.tree.nextLowerPair(key)?.[0]
  }
}

/**
 * The key store of an `ordered_set`: a {@link TreeKeyStore}, or a {@link HashKeyStore} until
 * `sorted-btree` is loaded, its slots then moved into a tree (same slot objects, same order).
 * A walk begun in the hash store reads each key's slot from the current store, so it sees the
 * changes made after the move as a hash walk would.
 */
export class OrderedKeyStore implements KeyStore {
  private store: KeyStore

  constructor() {
    const BTree = loadedBTree()
    if (BTree) {
      this.store = new TreeKeyStore(BTree)
    } else {
      this.store = new HashKeyStore()
      loadBTree().then(
        (ctor) => this.promote(ctor),
        () => undefined, // not loadable (offline, no cache): the hash store stays, correct and slower
      )
    }
  }

  /** True once the keys live in a B+ tree. */
  get isTree(): boolean {
    return this.store instanceof TreeKeyStore
  }
  private promote(BTree: BTreeCtor): void {
    if (this.isTree) return
    const tree = new TreeKeyStore(BTree)
    for (const s of this.store.values()) tree.set(s)
    this.store = tree
  }

  get size(): number {
    return this.store.size
  }
  get(key: Key): Slot | undefined {
    return this.store.get(key)
  }
  set(slot: Slot): void {
    this.store.set(slot)
  }
  delete(key: Key): void {
    this.store.delete(key)
  }
  clear(): void {
    this.store.clear()
  }
  values(): IterableIterator<Slot> {
    return this.isTree ? this.store.values() : this.current(this.store, this.store.values())
  }
  walk(bounds: Bounds, reverse: boolean): IterableIterator<Slot> {
    return this.isTree ? this.store.walk(bounds, reverse) : this.current(this.store, this.store.walk(bounds, reverse))
  }
  /** Slots of `it` (over `from`), read from the store in use now (it may have moved into a tree). */
  private *current(from: KeyStore, it: IterableIterator<Slot>): IterableIterator<Slot> {
    for (const s of it) {
      if (this.store === from) yield s
      else {
        const now = this.store.get(s.key)
        if (now) yield now
      }
    }
  }
  first(): Key | undefined {
    return this.store.first()
  }
  last(): Key | undefined {
    return this.store.last()
  }
  next(key: Key): Key | undefined {
    return this.store.next(key)
  }
  prev(key: Key): Key | undefined {
    return this.store.prev(key)
  }
}
