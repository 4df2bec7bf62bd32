/**
 * Dirty operations of the public handle (a layer of {@link Database}, see db/base.ts): Mnesia's
 * `dirty_*` functions, each committed at once on the tab's long-lived dirty handle.
 *
 * @module
 */
import {  WebnesiaError, rejected, safeString } from '../errors.js'
import type { SelectContinuation } from '../query/executor.js'
import { checkKey, type Key } from '../storage/term.js'
import type { Row, SelectChunk } from '../txn/transaction.js'
import { WriteSet } from '../txn/write-set.js'
import { checkIncrement } from '../txn/counter.js'
import { inMemory, readNow } from '../txn/read-now.js'
import { Activities } from './activities.js'

/** Dirty operations of {@link Database}. */
export abstract class DirtyOps extends Activities {
  // ---- dirty operations ----

  /**
   * Records with `key`, read without a transaction.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError (`'bad_key'`) when `key` is
   * not a valid key (API.md, "Keys")
   * @example
   * const [emp] = await db.dirtyRead<{ id: number; name: string }>('employee', 7)   // [] when absent
   */
  dirtyRead<T extends Row = Row>(tab: string, key: Key): Promise<T[]> {
    try {
      const local = this.local
      if (inMemory(local, tab)) return Promise.resolve(readNow(local, tab, key) as T[])
      return this.dirty().read<T>(tab, key)
    } catch (e) {
      return rejected(e)
    }
  }
  /**
   * Records with `key`, read synchronously from this tab's memory copy (Mnesia's ets-style read of
   * a `ram_copies` or `disc_copies` table): what `dirtyRead` resolves to, without a promise.
   *
   * @throws DatabaseClosedError, NoSuchTableError, BadKeyError; WebnesiaError `bad_type` for a
   *   `disc_only_copies` table (no memory copy: use `dirtyRead`)
   * @example
   * const [item] = db.dirtyReadSync('stock', 'apple')
   */
  dirtyReadSync<T extends Row = Row>(tab: string, key: Key): T[] {
    return readNow(this.local, tab, key) as T[]
  }
  /**
   * Writes a record at once (durable when the promise resolves).
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; BadRecordError (`'bad_type'`) when the
   * record does not fit the table (unknown attribute, no key, a value IndexedDB cannot store); StorageFullError
   * (`'quota'`) when the origin's storage quota is exhausted; nothing is written
   * @example
   * await db.dirtyWrite('employee', { id: 7, name: 'ann', dept: 'sales' })
   */
  dirtyWrite(tab: string, record: Row): Promise<void> {
    return this.guard(() => this.dirty().write(tab, record))
  }
  /**
   * Deletes every record of `key`.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError (`'bad_key'`) when `key` is
   * not a valid key (API.md, "Keys"); StorageFullError (`'quota'`) when the origin's storage quota is exhausted;
   * nothing is written
   */
  dirtyDelete(tab: string, key: Key): Promise<void> {
    return this.guard(() => this.dirty().delete(tab, key))
  }
  /**
   * Deletes exactly this record.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; BadRecordError (`'bad_type'`) when the
   * record does not fit the table (unknown attribute, no key, a value IndexedDB cannot store); StorageFullError
   * (`'quota'`) when the origin's storage quota is exhausted; nothing is written
   */
  dirtyDeleteObject(tab: string, record: Row): Promise<void> {
    return this.guard(() => this.dirty().deleteObject(tab, record))
  }
  /**
   * The first key in term order (`undefined` for an empty table), read without a transaction.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  dirtyFirst(tab: string): Promise<Key | undefined> {
    return this.guard(() => this.dirty().first(tab))
  }
  /**
   * The last key in term order (`undefined` for an empty table), read without a transaction.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  dirtyLast(tab: string): Promise<Key | undefined> {
    return this.guard(() => this.dirty().last(tab))
  }
  /**
   * The key after `key` in term order (`undefined` after the last); `key` need not be in the table.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError (`'bad_key'`) when `key` is
   * not a valid key (API.md, "Keys")
   */
  dirtyNext(tab: string, key: Key): Promise<Key | undefined> {
    return this.guard(() => this.dirty().next(tab, key))
  }
  /**
   * The key before `key` in term order (`undefined` before the first); `key` need not be in the table.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError (`'bad_key'`) when `key` is
   * not a valid key (API.md, "Keys")
   */
  dirtyPrev(tab: string, key: Key): Promise<Key | undefined> {
    return this.guard(() => this.dirty().prev(tab, key))
  }
  /**
   * Every key of the table in term order, read without a transaction.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  dirtyAllKeys(tab: string): Promise<Key[]> {
    return this.guard(() => this.dirty().allKeys(tab))
  }
  /**
   * The records of the n-th key (0-based) in term order; `undefined` past the last one.
   * (Mnesia's slots are hash buckets; here a slot is one key, so iterating 0, 1, 2, … visits
   * every record once.)
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError (`'badarg'`) when `n` is
   * not an integer ≥ 0
   */
  dirtySlot<T extends Row = Row>(tab: string, n: number): Promise<T[] | undefined> {
    return this.guard(async () => {
      if (!Number.isInteger(n) || n < 0) throw new WebnesiaError('badarg', `dirtySlot: bad slot ${safeString(n)}`)
      const keys = await this.dirty().allKeys(tab)
      const k = keys[n]
      return k === undefined ? undefined : this.dirty().read<T>(tab, k)
    })
  }
  /**
   * The records matching `pattern` (API.md, "Patterns": `'_'` matches anything, `'$1'`… bind), read without a transaction.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; BadMatchSpecError (`'badarg'`) for a
   * malformed pattern (an attribute the table does not have)
   */
  dirtyMatchObject<T extends Row = Row>(tab: string, pattern: Row): Promise<T[]> {
    return this.guard(() => this.dirty().matchObject<T>(tab, pattern))
  }
  /**
   * Results of a match specification; with `n`, chunked (see `selectContinue`).
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; BadMatchSpecError (`'badarg'`) for a
   * malformed match specification; WebnesiaError (`'badarg'`) when `n` is not a positive integer
   * @example
   * // names of the employees of dept 'sales': [{ id: '$1', name: '$2', dept: 'sales' }], no guards, result '$2'
   * const names = await db.dirtySelect<string>('employee', [[{ id: '$1', name: '$2', dept: 'sales' }, [], ['$2']]])
   */
  dirtySelect<T = unknown>(tab: string, spec: unknown): Promise<T[]>
  dirtySelect<T = unknown>(tab: string, spec: unknown, n: number): Promise<SelectChunk<T> | null>
  dirtySelect(tab: string, spec: unknown, n?: number): Promise<unknown> {
    return this.guard<unknown>(() => (n === undefined ? this.dirty().select(tab, spec) : this.dirty().select(tab, spec, n)))
  }
  /**
   * The next chunk of a chunked `dirtySelect`.
   * @throws WebnesiaError (`'badarg'`) for a continuation that is not one of this handle's dirty selects
   */
  selectContinue<T = unknown>(cont: SelectContinuation): Promise<SelectChunk<T> | null> {
    return this.guard(() => this.dirty().selectContinue<T>(cont))
  }
  /**
   * The records whose indexed attribute `attr` equals `value`, read without a transaction.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError (`'badarg'`) when `attr`
   * has no index; BadRecordError (`'bad_type'`) for a value that cannot be a key
   */
  dirtyIndexRead<T extends Row = Row>(tab: string, value: unknown, attr: string): Promise<T[]> {
    return this.guard(() => this.dirty().indexRead<T>(tab, value, attr))
  }
  /**
   * The records matching `pattern`, found through the index on `attr` (the pattern must bind `attr`).
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError (`'badarg'`) when `attr`
   * has no index or the pattern does not bind it to a value; BadMatchSpecError (`'badarg'`) for a malformed pattern
   */
  dirtyIndexMatchObject<T extends Row = Row>(tab: string, pattern: Row, attr: string): Promise<T[]> {
    return this.guard(() => this.dirty().indexMatchObject<T>(tab, pattern, attr))
  }
  /**
   * Atomically adds `incr` to the counter `key` of a two-attribute table and returns the new
   * value. A missing counter starts at 0; a counter never goes below 0 (Mnesia's rule); a stored
   * value that is not a non-negative integer is replaced as OTP does (`txn/counter.ts`).
   *
   * @throws WebnesiaError 'bad_type' when `incr` is not an integer; 'combine_error' on a bag or a table without
   * exactly 2 attributes.
   */
  dirtyUpdateCounter(tab: string, key: Key, incr: number): Promise<number> {
    return this.guard(async () => {
      this.local.check()
      checkIncrement(typeof tab === 'string' ? tab : safeString(tab), incr)
      const rt = this.local.catalog.get(tab)
      if (rt.def.type === 'bag' || rt.def.attributes.length !== 2) {
        throw new WebnesiaError('combine_error', `${tab}: counters need a set or ordered_set table with exactly 2 attributes`)
      }
      checkKey(key)
      const ws = new WriteSet()
      ws.add(tab, key, { c: incr })
      const [v] = await this.dirty().access.commitDirty(ws)
      return v as number
    })
  }
}
