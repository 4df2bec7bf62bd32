/**
 * The file backend's working state: every store as a B+ tree in key order (IndexedDB key order,
 * storage/term.ts), its indexes as trees of `[attribute value, primary key]`. Changes arrive as
 * {@link Op}s — the same ops the log records, so replaying the log rebuilds this state exactly —
 * and each change returns its inverse, so an aborted transaction is rolled back in memory.
 *
 * @module
 */
import { KeyRange, type Direction, type Query, type StoreKey } from '../backend.js'
import BTreeImport from 'sorted-btree'
import type { BTreeCtor, BTreeType } from '../../storage/btree.js'
import { compareKeys, isValidKey } from '../../storage/term.js'

// The file backend runs in Node only (loaded by open.ts on `dir`): a static import of the tree is fine.
const BTree: BTreeCtor = (BTreeImport as unknown as { default?: BTreeCtor }).default ?? BTreeImport

/** A logged change. */
export type Op =
  | { o: 'put'; s: string; k: StoreKey; v: unknown }
  | { o: 'del'; s: string; q: RangeSpec }
  | { o: 'clear'; s: string }
  | { o: 'mkstore'; s: string; auto: boolean }
  | { o: 'rmstore'; s: string }
  | { o: 'mkindex'; s: string; a: string }
  | { o: 'rmindex'; s: string; a: string }

/** A query as plain data (it goes into the log). */
export type RangeSpec = { only: StoreKey } | { lo?: StoreKey; hi?: StoreKey; loOpen: boolean; hiOpen: boolean }

export function toSpec(q: Query): RangeSpec {
  if (!(q instanceof KeyRange)) return { only: q }
  const spec: RangeSpec = { loOpen: q.lowerOpen, hiOpen: q.upperOpen }
  if (q.lower !== undefined) spec.lo = q.lower
  if (q.upper !== undefined) spec.hi = q.upper
  return spec
}

function inSpec(k: StoreKey, q: RangeSpec): boolean {
  if ('only' in q) return compareKeys(k, q.only) === 0
  if (q.lo !== undefined) {
    const c = compareKeys(k, q.lo)
    if (c < 0 || (c === 0 && q.loOpen)) return false
  }
  if (q.hi !== undefined) {
    const c = compareKeys(k, q.hi)
    if (c > 0 || (c === 0 && q.hiOpen)) return false
  }
  return true
}

type Tree<V> = BTreeType<StoreKey, V>

function newTree<V>(): Tree<V> {
  return new BTree<StoreKey, V>(undefined, compareKeys)
}

/** One store. */
export class MemStore {
  readonly rows: Tree<unknown> = newTree()
  readonly indexes = new Map<string, Tree<true>>()
  constructor(readonly autoIncrement: boolean) {}

  /** Rows within `q` (all when absent) in `direction`, at most `count`. */
  *scan(q: RangeSpec | undefined, direction: Direction = 'next'): Generator<[StoreKey, unknown]> {
    if (q && 'only' in q) {
      const v = this.rows.get(q.only)
      if (v !== undefined || this.rows.has(q.only)) yield [q.only, v]
      return
    }
    if (direction === 'next') {
      for (const [k, v] of this.rows.entries(q?.lo)) {
        if (q && !inSpec(k, q)) {
          if (q.hi !== undefined && compareKeys(k, q.hi) >= 0) return
          continue
        }
        yield [k, v]
      }
    } else {
      for (const [k, v] of this.rows.entriesReversed(q?.hi)) {
        if (q && !inSpec(k, q)) {
          if (q.lo !== undefined && compareKeys(k, q.lo) <= 0) return
          continue
        }
        yield [k, v]
      }
    }
  }

  /** The primary keys whose `attr` equals `key`, in primary-key order. */
  indexKeys(attr: string, key: StoreKey): StoreKey[] {
    const ix = this.indexes.get(attr)
    if (!ix) return []
    const out: StoreKey[] = []
    for (const [ik] of ix.entries([key])) {
      const pair = ik as [StoreKey, StoreKey]
      if (compareKeys(pair[0], key) !== 0) break
      out.push(pair[1])
    }
    return out
  }

  indexAdd(k: StoreKey, v: unknown): void {
    for (const [attr, ix] of this.indexes) {
      const iv = attrKey(v, attr)
      if (iv !== undefined) ix.set([iv, k], true)
    }
  }
  indexRemove(k: StoreKey, v: unknown): void {
    for (const [attr, ix] of this.indexes) {
      const iv = attrKey(v, attr)
      if (iv !== undefined) ix.delete([iv, k])
    }
  }
}

/** The value's `attr` when it is a valid key (IndexedDB indexes skip values whose key path is not). */
function attrKey(v: unknown, attr: string): StoreKey | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const a = (v as Record<string, unknown>)[attr]
  return a !== undefined && isValidKey(a) ? (a as StoreKey) : undefined
}

/** Every store of one node. */
export class MemState {
  readonly stores = new Map<string, MemStore>()

  store(name: string): MemStore {
    const s = this.stores.get(name)
    if (!s) throw new DOMException(`no object store '${name}'`, 'NotFoundError')
    return s
  }

  /** Applies `op`; returns the inverse (for a rollback). Throws before changing anything when `op` cannot apply. */
  apply(op: Op): () => void {
    switch (op.o) {
      case 'put': {
        const s = this.store(op.s)
        const had = s.rows.has(op.k)
        const old = s.rows.get(op.k)
        if (had) s.indexRemove(op.k, old)
        s.rows.set(op.k, op.v)
        s.indexAdd(op.k, op.v)
        return () => {
          s.indexRemove(op.k, op.v)
          if (had) {
            s.rows.set(op.k, old)
            s.indexAdd(op.k, old)
          } else s.rows.delete(op.k)
        }
      }
      case 'del': {
        const s = this.store(op.s)
        const gone = [...s.scan(op.q)]
        for (const [k, v] of gone) {
          s.indexRemove(k, v)
          s.rows.delete(k)
        }
        return () => {
          for (const [k, v] of gone) {
            s.rows.set(k, v)
            s.indexAdd(k, v)
          }
        }
      }
      case 'clear': {
        const s = this.store(op.s)
        const gone = [...s.scan(undefined)]
        for (const [k, v] of gone) s.indexRemove(k, v)
        s.rows.clear()
        return () => {
          for (const [k, v] of gone) {
            s.rows.set(k, v)
            s.indexAdd(k, v)
          }
        }
      }
      case 'mkstore': {
        if (this.stores.has(op.s)) throw new DOMException(`object store '${op.s}' exists`, 'ConstraintError')
        this.stores.set(op.s, new MemStore(op.auto))
        return () => void this.stores.delete(op.s)
      }
      case 'rmstore': {
        const s = this.store(op.s)
        this.stores.delete(op.s)
        return () => void this.stores.set(op.s, s)
      }
      case 'mkindex': {
        const s = this.store(op.s)
        if (s.indexes.has(op.a)) throw new DOMException(`index '${op.a}' exists`, 'ConstraintError')
        const ix = newTree<true>()
        for (const [k, v] of s.rows.entries()) {
          const iv = attrKey(v, op.a)
          if (iv !== undefined) ix.set([iv, k], true)
        }
        s.indexes.set(op.a, ix)
        return () => void s.indexes.delete(op.a)
      }
      case 'rmindex': {
        const s = this.store(op.s)
        const ix = s.indexes.get(op.a)
        if (!ix) throw new DOMException(`no index '${op.a}'`, 'NotFoundError')
        s.indexes.delete(op.a)
        return () => void s.indexes.set(op.a, ix)
      }
    }
  }
}
