/**
 * The storage interface: what every table copy answers, whether its records live in memory
 * (`MemoryTable`) or in IndexedDB (`IdbTable`). One conformance suite (test/storage) runs over
 * both implementations.
 *
 * Writes are not part of this interface: they only ever happen in a commit (see txn/committer.ts),
 * which applies one {@link KeyChange} per key to the disc copy inside the commit's IndexedDB
 * transaction and then to the memory copy.
 *
 * @module
 */
import type { Bounds } from './key-store.js'
import type { Rec } from './record.js'
import type { Key } from './term.js'

export type { Bounds }

/** The new state of one key, as a commit writes it. */
export interface KeyChange {
  readonly key: Key
  readonly old: readonly Rec[]
  readonly recs: readonly Rec[]
}

/** Read access to one table copy. Keys come back in term order. */
export interface TableReader {
  /** Every record stored under `key` (`[]` when none). */
  read(key: Key): Promise<readonly Rec[]>
  /** Every record whose `attr` deep-equals `value` (secondary index). */
  indexRead(attr: string, value: unknown): Promise<readonly Rec[]>
  first(): Promise<Key | undefined>
  last(): Promise<Key | undefined>
  next(key: Key): Promise<Key | undefined>
  prev(key: Key): Promise<Key | undefined>
  allKeys(): Promise<Key[]>
  /** Number of records. */
  count(): Promise<number>
  /** Records in term order of their keys within `bounds`, in batches of about `batch` records. */
  scan(bounds: Bounds, reverse: boolean, batch: number): AsyncIterable<readonly Rec[]>
}
