/**
 * The object a transaction (or any activity) function receives: Mnesia's operations on `t`.
 *
 * Every operation validates its input first (a bad table, record, key or spec throws its typed
 * error and records nothing), then reads or writes through the {@link Access} of the context.
 * Once the activity has finished, the handle is dead: further calls throw `no_transaction`.
 *
 * @module
 */
import { WebnesiaError, rejected, safeString } from '../errors.js'
import type { RecordSource, SelectContinuation } from '../query/executor.js'
import { loadedQueries, loadQueries } from '../query/load.js'
import type { TableRuntime } from '../schema/catalog.js'
import { checkIndexAttr } from '../schema/table-def.js'
import { checkValue, exportPlainRecords, exportRecord, exportRecords, importRecord, keyOf } from '../storage/record.js'
import { checkKey, type Key } from '../storage/term.js'
import { exportKey, tableInfo, type TableInfoItem } from '../schema/info.js'
import type { Access, ActivityKind } from './access.js'
import { checkIncrement } from './counter.js'

/** A record as the application sees it. */
export type Row = Record<string, unknown>

/** Lock kinds of `read`. */
export type ReadLock = 'read' | 'write'
/** Lock kinds of `write`. */
export type WriteLock = 'write' | 'sticky_write'
/** What `t.lock` locks. */
export type LockItem = { table: string } | { record: [string, Key] } | { global: [string, readonly string[]] }

/** Thrown by `t.abort(reason)`; becomes a TransactionAbortedError carrying `reason`. */
export class AbortSignal extends Error {
  constructor(readonly reason: unknown) {
    super('transaction aborted by t.abort')
  }
}

/** One chunk of a chunked select. */
export interface SelectChunk<T = unknown> {
  /** At most `n` results. */
  readonly results: T[]
  /** Pass to `selectContinue` for the next chunk (it resolves `null` at the end). */
  readonly cont: SelectContinuation
}

/** Runs nested activities (set by the transaction runner). */
export type NestedRunner = <T>(parent: Transaction, kind: ActivityKind, fn: (t: Transaction) => Promise<T> | T) => Promise<T>

/**
 * The operations of an activity. All return promises. See API.md, "Transactions".
 */
export class Transaction {
  private live = true
  /** Set when `abort` was called, even if the function caught the signal. */
  aborted: AbortSignal | null = null

  /** @internal */
  constructor(
    /** @internal */ readonly access: Access,
    private readonly nested: NestedRunner,
  ) {}

  /** The kind of context this handle runs in. */
  get kind(): ActivityKind {
    return this.access.kind
  }

  /** @internal Ends the handle: later calls throw. */
  finish(): void {
    this.live = false
  }

  private table(tab: string): TableRuntime {
    if (!this.live) throw new WebnesiaError('aborted', 'no_transaction: this transaction has finished')
    if (this.aborted) throw this.aborted
    return this.access.table(tab)
  }

  // ---- reads ----

  /**
   * The records with `key` (`[]`, `[record]`, or a bag's records). `lock` is accepted for Mnesia compatibility.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError
   * (`'bad_key'`) when `key` is not a valid key (API.md, "Keys"); WebnesiaError (`'badarg'`) for an unknown lock
   * kind
   */
  read<T extends Row = Row>(tab: string, key: Key, lock: ReadLock = 'read'): Promise<T[]> {
    // Not an async function: a read served from memory resolves without extra promise hops
    // (the hot path of both dirtyRead and t.read; see BENCHMARKS.md P1).
    try {
      const rt = this.table(tab)
      checkKey(key)
      checkLock(lock, ['read', 'write'])
      const now = this.access.readSync(rt, key)
      if (now) return Promise.resolve((rt.mem?.mutableLeaves === false ? exportPlainRecords(now) : exportRecords(now)) as T[])
      return this.access.read(rt, key).then((recs) => exportRecords(recs) as T[])
    } catch (e) {
      return rejected(e)
    }
  }

  /**
   * `read(tab, key, 'write')`.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError
   * (`'bad_key'`) when `key` is not a valid key (API.md, "Keys")
   */
  wread<T extends Row = Row>(tab: string, key: Key): Promise<T[]> {
    return this.read<T>(tab, key, 'write')
  }

  /**
   * Records matching a pattern (API.md, "Patterns").
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadMatchSpecError
   * (`'badarg'`) for a malformed pattern
   */
  async matchObject<T extends Row = Row>(tab: string, pattern: Row): Promise<T[]> {
    this.table(tab)
    const q = loadedQueries() ?? (await loadQueries())
    return (await q.matchObject(this.access, this.table(tab), pattern)) as T[]
  }

  /**
   * Results of a match specification; with `n`, the first chunk of at most n results or null.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadMatchSpecError
   * (`'badarg'`) for a malformed match specification; WebnesiaError (`'badarg'`) when `n` is not a positive integer
   */
  select<T = unknown>(tab: string, spec: unknown): Promise<T[]>
  select<T = unknown>(tab: string, spec: unknown, n: number): Promise<SelectChunk<T> | null>
  async select(tab: string, spec: unknown, n?: number): Promise<unknown[] | SelectChunk | null> {
    this.table(tab)
    const q = loadedQueries() ?? (await loadQueries())
    return q.select(this.access, this.table(tab), spec, n)
  }

  /**
   * The next chunk of a chunked select started in this context, or null at the end.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; WebnesiaError (`'badarg'`) for a continuation not started in this context
   */
  async selectContinue<T = unknown>(cont: SelectContinuation): Promise<SelectChunk<T> | null> {
    this.table0()
    // No continuation exists before the query operations are loaded (a select made it).
    if (!loadedQueries()?.SelectContinuation.isGenuine(cont) || !this.owns(cont.owner)) {
      throw new WebnesiaError('badarg', 'not a continuation of this context')
    }
    return (await cont.chunk()) as SelectChunk<T> | null
  }

  /**
   * Records whose indexed attribute `attr` equals `value`.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError
   * (`'badarg'`) when `attr` has no index; BadRecordError (`'bad_type'`) for a value that cannot be stored
   */
  async indexRead<T extends Row = Row>(tab: string, value: unknown, attr: string): Promise<T[]> {
    const rt = this.table(tab)
    checkIndexed(rt, attr)
    checkValue(value, `indexRead ${attr}`)
    return exportRecords(await this.access.indexRead(rt, attr, value)) as T[]
  }

  /**
   * Records matching a pattern that binds the indexed attribute `attr`.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError
   * (`'badarg'`) when `attr` has no index or the pattern does not bind it; BadMatchSpecError (`'badarg'`) for a
   * malformed pattern
   */
  async indexMatchObject<T extends Row = Row>(tab: string, pattern: Row, attr: string): Promise<T[]> {
    checkIndexed(this.table(tab), attr)
    const q = loadedQueries() ?? (await loadQueries())
    return (await q.indexMatchObject(this.access, this.table(tab), pattern, attr)) as T[]
  }

  /**
   * Folds over every record in term order of keys. `fn` may be async.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError
   * (`'badarg'`) when `fn` is not a function; whatever `fn` throws
   */
  foldl<A, T extends Row = Row>(fn: (record: T, acc: A) => A | Promise<A>, acc: A, tab: string): Promise<A> {
    return this.fold(fn, acc, tab, false)
  }

  /**
   * Folds over every record in reverse term order of keys.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError
   * (`'badarg'`) when `fn` is not a function; whatever `fn` throws
   */
  foldr<A, T extends Row = Row>(fn: (record: T, acc: A) => A | Promise<A>, acc: A, tab: string): Promise<A> {
    return this.fold(fn, acc, tab, true)
  }

  private async fold<A, T>(fn: (record: T, acc: A) => A | Promise<A>, acc: A, tab: string, reverse: boolean): Promise<A> {
    const rt = this.table(tab)
    if (typeof fn !== 'function') throw new WebnesiaError('badarg', 'fold: fn must be a function')
    let a = acc
    for await (const recs of this.access.scan(rt, {}, reverse, 500)) {
      for (const r of recs) a = await fn(exportRecord(r) as T, a)
    }
    return a
  }

  /**
   * The first key in term order, or undefined.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  first(tab: string): Promise<Key | undefined> {
    return this.edge(tab, 1)
  }
  /**
   * The last key in term order, or undefined.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  last(tab: string): Promise<Key | undefined> {
    return this.edge(tab, -1)
  }
  private async edge(tab: string, dir: 1 | -1): Promise<Key | undefined> {
    const rt = this.table(tab)
    const k = await this.access.step(rt, undefined, dir)
    return k === undefined ? undefined : exportKey(k)
  }
  /**
   * The key after `key`, or undefined.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError
   * (`'bad_key'`) when `key` is not a valid key (API.md, "Keys")
   */
  next(tab: string, key: Key): Promise<Key | undefined> {
    return this.step(tab, key, 1)
  }
  /**
   * The key before `key`, or undefined.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError
   * (`'bad_key'`) when `key` is not a valid key (API.md, "Keys")
   */
  prev(tab: string, key: Key): Promise<Key | undefined> {
    return this.step(tab, key, -1)
  }
  private async step(tab: string, from: Key, dir: 1 | -1): Promise<Key | undefined> {
    const rt = this.table(tab)
    checkKey(from)
    const k = await this.access.step(rt, from, dir)
    return k === undefined ? undefined : exportKey(k)
  }

  /**
   * Every key, in term order.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  async allKeys(tab: string): Promise<Key[]> {
    const rt = this.table(tab)
    return (await this.access.allKeys(rt)).map(exportKey)
  }

  // ---- writes ----

  /**
   * Writes a record (replaces a set's record; adds to a bag).
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadRecordError
   * (`'bad_type'`) when the record does not fit the table (unknown attribute, no key, a value IndexedDB cannot
   * store); WebnesiaError (`'badarg'`) for an unknown lock kind
   */
  async write(tab: string, record: Row, lock: WriteLock = 'write'): Promise<void> {
    const rt = this.table(tab)
    checkLock(lock, ['write', 'sticky_write'])
    const rec = importRecord(rt.def, record)
    await this.access.write(rt, keyOf(rt.def, rec), { w: rec })
  }

  /**
   * Removes every record of `key`.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadKeyError
   * (`'bad_key'`) when `key` is not a valid key (API.md, "Keys")
   */
  async delete(tab: string, key: Key): Promise<void> {
    const rt = this.table(tab)
    checkKey(key)
    await this.access.write(rt, key, { d: true })
  }

  /**
   * Removes exactly this record (deep-equal).
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; BadRecordError
   * (`'bad_type'`) when the record does not fit the table (unknown attribute, no key, a value IndexedDB cannot
   * store)
   */
  async deleteObject(tab: string, record: Row): Promise<void> {
    const rt = this.table(tab)
    const rec = importRecord(rt.def, record)
    await this.access.write(rt, keyOf(rt.def, rec), { o: rec })
  }

  /**
   * Adds `incr` to a counter, without reading it: concurrent transactions incrementing one key
   * do not conflict (the increments commute; each is applied to the value current at its
   * commit). Without `field`, the table is a Mnesia counter table (two attributes `[key, value]`,
   * a missing counter is created, the value never goes below 0, as `dirtyUpdateCounter`); with
   * `field`, that integer attribute of the existing record is incremented. In a transaction the
   * increment commits with it, and a later `read` of the key in the same transaction sees it (and
   * then conflicts like any read); in a dirty context it commits at once.
   *
   * @throws WebnesiaError `bad_type` for an increment that is not an integer (also, at commit, a
   *   field that holds no integer); `combine_error` for a bag, or a table of other than 2
   *   attributes without `field`; `badarg` for a `field` that is not a non-key attribute;
   *   `no_exists` at commit when a field increment finds no record
   * @example
   * await db.transaction(async (t) => {
   *   await t.updateCounter('branch', bid, delta, 'balance')
   *   await t.write('history', { hid, bid, delta })
   * })
   */
  async updateCounter(tab: string, key: Key, incr: number, field?: string): Promise<void> {
    checkIncrement(typeof tab === 'string' ? tab : safeString(tab), incr)
    const rt = this.table(tab)
    if (rt.def.type === 'bag') throw new WebnesiaError('combine_error', `${tab}: counters need a set or ordered_set table`)
    if (field === undefined) {
      if (rt.def.attributes.length !== 2) throw new WebnesiaError('combine_error', `${tab}: counters need exactly 2 attributes, or a field to increment`)
    } else if (typeof field !== 'string' || field === rt.def.attributes[0] || !rt.def.attributes.includes(field)) {
      throw new WebnesiaError('badarg', `update counter ${tab}: ${safeString(field)} is not a non-key attribute`)
    }
    checkKey(key)
    await this.access.increment(rt, key, field === undefined ? { c: incr } : { c: incr, f: field })
  }

  // ---- locks ----

  /**
   * An explicit lock. Optimistic concurrency turns every lock into a read: a read lock on a
   * table (or a write lock) makes the transaction conflict with any commit to that table before
   * it commits; a record lock, with any commit to that key. Global locks have no meaning within
   * one node and are accepted as no-ops.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError
   * (`'badarg'`) for a bad lock item or kind
   */
  async lock(item: LockItem, kind: 'read' | 'write'): Promise<void> {
    checkLock(kind, ['read', 'write'])
    if (typeof item !== 'object' || item === null) throw new WebnesiaError('badarg', 'lock: bad lock item')
    if ('table' in item) {
      this.access.lockTable(this.table(item.table))
    } else if ('record' in item && Array.isArray(item.record)) {
      const [tab, key] = item.record
      const rt = this.table(tab)
      checkKey(key)
      await this.access.read(rt, key)
    } else if ('global' in item) {
      this.table0()
    } else {
      throw new WebnesiaError('badarg', 'lock: bad lock item')
    }
  }
  /**
   * A read lock on a whole table (phantom protection).
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  readLockTable(tab: string): Promise<void> {
    return this.lock({ table: tab }, 'read')
  }
  /**
   * A write lock on a whole table.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  writeLockTable(tab: string): Promise<void> {
    return this.lock({ table: tab }, 'write')
  }

  // ---- control ----

  /**
   * Aborts the transaction with `reason`; never returns.
   * @throws Always: the abort signal carrying `reason`; the activity rejects with TransactionAbortedError (`reason`
   * as given). WebnesiaError (`'aborted'`) when the transaction has finished already
   */
  abort(reason: unknown): never {
    this.table0()
    this.aborted = new AbortSignal(reason)
    throw this.aborted
  }

  /**
   * As `db.tableInfo`.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError
   * (`'badarg'`) for an unknown item
   */
  async tableInfo(tab: string, item: TableInfoItem): Promise<unknown> {
    const rt = this.table(tab)
    return Promise.resolve(tableInfo(this.access.node, rt, item))
  }

  /**
   * Runs a nested transaction: its writes become this transaction's when it succeeds.
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; WebnesiaError (`'badarg'`) when `fn` is not a function; whatever `fn` throws (this
   * transaction then aborts unless the caller catches it)
   */
  async transaction<T>(fn: (t: Transaction) => Promise<T> | T): Promise<T> {
    this.table0()
    if (typeof fn !== 'function') throw new WebnesiaError('badarg', 'transaction: fn must be a function')
    return this.nested(this, 'transaction', fn)
  }

  /**
   * Runs a nested activity; inside a transaction it keeps transaction semantics (seed 004, 5.6).
   * @throws WebnesiaError (`'aborted'`, no_transaction) when the transaction has finished; the transaction's abort
   * signal after `t.abort`; WebnesiaError (`'badarg'`) for an unknown kind or a `fn` that is not a function;
   * whatever `fn` throws
   */
  async activity<T>(kind: ActivityKind, fn: (t: Transaction) => Promise<T> | T): Promise<T> {
    this.table0()
    if (typeof fn !== 'function') throw new WebnesiaError('badarg', 'activity: fn must be a function')
    return this.nested(this, kind, fn)
  }

  private table0(): void {
    if (!this.live) throw new WebnesiaError('aborted', 'no_transaction: this transaction has finished')
  }

  private owns(owner: RecordSource): boolean {
    for (let x: Access | null = this.access; x; x = x.parent) if (x === owner) return true
    // A continuation's owner is the Access (txn/access.ts) that started it.
    for (let x: Access | null = owner as Access; x; x = x.parent) if (x === this.access) return true
    return false
  }
}

function checkLock(lock: unknown, allowed: readonly string[]): void {
  if (typeof lock !== 'string' || !allowed.includes(lock)) {
    throw new WebnesiaError('badarg', `bad lock kind ${safeString(lock)}; expected ${allowed.join(' | ')}`)
  }
}

function checkIndexed(rt: TableRuntime, attr: string): void {
  checkIndexAttr(rt.def, attr)
  if (!rt.def.index.includes(attr)) throw new WebnesiaError('badarg', `table ${rt.def.name} has no index on ${attr}`)
}
