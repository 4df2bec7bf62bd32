/**
 * The typed views of a database handle and of a transaction (`openDatabase<S>()`): the same run
 * time objects as {@link Database} and {@link Transaction}, seen through a schema type `S` (see
 * `schema.ts`). Each view re-types the methods that take a table, and passes every other member
 * of the untyped class through unchanged (`Omit<…> & {…}`), so what the classes gain appears on
 * the views too.
 *
 * @module
 */
import type { Database } from '../db.js'
import type { SystemEvent } from '../events/subscriptions.js'
import type { LiveQuery } from '../live/live-query.js'
import type { SelectContinuation } from '../query/executor.js'
import type { TableInfoItem } from '../schema/info.js'
import type { StorageType } from '../schema/table-def.js'
import type { ActivityKind } from '../txn/access.js'
import type { TransactionOptions } from '../txn/runner.js'
import type { ReadLock, SelectChunk, Transaction, WriteLock } from '../txn/transaction.js'
import type {
  IndexAttributeOf,
  KeyAttributeOf,
  KeyOf,
  MatchSpec,
  Pattern,
  RecordOf,
  SelectResult,
  TableInfoValue,
  TableName,
  TypedDetailedTableEvent,
  TypedTableEvent,
  TypedTableOptions,
} from './schema.js'

/** A function run by a typed activity. */
export type TypedActivityFn<S, V> = (t: TypedTransaction<S>) => Promise<V> | V

/** What `t.lock` locks, with typed table names. */
export type TypedLockItem<S> =
  | { table: TableName<S> }
  | { [T in TableName<S>]: { record: [T, KeyOf<S, T>] } }[TableName<S>]
  | { global: [string, readonly string[]] }

type TypedTransactionKeys =
  | 'read'
  | 'wread'
  | 'matchObject'
  | 'select'
  | 'selectContinue'
  | 'indexRead'
  | 'indexMatchObject'
  | 'foldl'
  | 'foldr'
  | 'first'
  | 'last'
  | 'next'
  | 'prev'
  | 'allKeys'
  | 'write'
  | 'delete'
  | 'deleteObject'
  | 'updateCounter'
  | 'lock'
  | 'readLockTable'
  | 'writeLockTable'
  | 'tableInfo'
  | 'transaction'
  | 'activity'

/** The operations on `t` with a schema type: see API.md, "Transactions", and {@link Transaction}. */
export type TypedTransaction<S> = Omit<Transaction, TypedTransactionKeys> & {
  read<T extends TableName<S>>(tab: T, key: KeyOf<S, T>, lock?: ReadLock): Promise<RecordOf<S, T>[]>
  wread<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): Promise<RecordOf<S, T>[]>
  matchObject<T extends TableName<S>>(tab: T, pattern: Pattern<RecordOf<S, T>>): Promise<RecordOf<S, T>[]>
  select<T extends TableName<S>, const M extends MatchSpec<RecordOf<S, T>>>(tab: T, spec: M): Promise<SelectResult<RecordOf<S, T>, M>[]>
  select<T extends TableName<S>, const M extends MatchSpec<RecordOf<S, T>>>(
    tab: T,
    spec: M,
    n: number,
  ): Promise<SelectChunk<SelectResult<RecordOf<S, T>, M>> | null>
  selectContinue<V = unknown>(cont: SelectContinuation): Promise<SelectChunk<V> | null>
  indexRead<T extends TableName<S>, A extends IndexAttributeOf<S, T>>(tab: T, value: RecordOf<S, T>[A & keyof RecordOf<S, T>], attr: A): Promise<RecordOf<S, T>[]>
  indexMatchObject<T extends TableName<S>>(tab: T, pattern: Pattern<RecordOf<S, T>>, attr: IndexAttributeOf<S, T>): Promise<RecordOf<S, T>[]>
  foldl<A, T extends TableName<S>>(fn: (record: RecordOf<S, T>, acc: A) => A | Promise<A>, acc: A, tab: T): Promise<A>
  foldr<A, T extends TableName<S>>(fn: (record: RecordOf<S, T>, acc: A) => A | Promise<A>, acc: A, tab: T): Promise<A>
  first<T extends TableName<S>>(tab: T): Promise<KeyOf<S, T> | undefined>
  last<T extends TableName<S>>(tab: T): Promise<KeyOf<S, T> | undefined>
  next<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): Promise<KeyOf<S, T> | undefined>
  prev<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): Promise<KeyOf<S, T> | undefined>
  allKeys<T extends TableName<S>>(tab: T): Promise<KeyOf<S, T>[]>
  write<T extends TableName<S>>(tab: T, record: RecordOf<S, T>, lock?: WriteLock): Promise<void>
  delete<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): Promise<void>
  deleteObject<T extends TableName<S>>(tab: T, record: RecordOf<S, T>): Promise<void>
  /** A Mnesia counter table's counter (`field` absent), or an integer attribute of an existing record. */
  updateCounter<T extends TableName<S>>(tab: T, key: KeyOf<S, T>, incr: number, field?: NumericAttributeOf<RecordOf<S, T>>): Promise<void>
  lock(item: TypedLockItem<S>, kind: 'read' | 'write'): Promise<void>
  readLockTable(tab: TableName<S>): Promise<void>
  writeLockTable(tab: TableName<S>): Promise<void>
  tableInfo<T extends TableName<S>, I extends TableInfoItem>(tab: T, item: I): Promise<TableInfoValue<RecordOf<S, T>, I>>
  transaction<V>(fn: TypedActivityFn<S, V>): Promise<V>
  activity<V>(kind: ActivityKind, fn: TypedActivityFn<S, V>): Promise<V>
}

type TypedDatabaseKeys =
  | 'addTableCopy'
  | 'delTableCopy'
  | 'changeTableCopyType'
  | 'createTable'
  | 'deleteTable'
  | 'clearTable'
  | 'addTableIndex'
  | 'delTableIndex'
  | 'transformTable'
  | 'setMasterNodes'
  | 'tableInfo'
  | 'waitForTables'
  | 'transaction'
  | 'syncTransaction'
  | 'activity'
  | 'asyncDirty'
  | 'syncDirty'
  | 'ets'
  | 'dirtyRead'
  | 'dirtyReadSync'
  | 'dirtyWrite'
  | 'dirtyDelete'
  | 'dirtyDeleteObject'
  | 'dirtyFirst'
  | 'dirtyLast'
  | 'dirtyNext'
  | 'dirtyPrev'
  | 'dirtyAllKeys'
  | 'dirtySlot'
  | 'dirtyMatchObject'
  | 'dirtySelect'
  | 'selectContinue'
  | 'dirtyIndexRead'
  | 'dirtyIndexMatchObject'
  | 'dirtyUpdateCounter'
  | 'subscribe'
  | 'liveQuery'

/** The attributes of a record type that hold numbers (what `t.updateCounter` may increment). */
type NumericAttributeOf<R> = { [K in keyof R & string]: R[K] extends number ? K : never }[keyof R & string]

/** The tables whose non-key attribute is a number: the ones `dirtyUpdateCounter` takes. */
type CounterTable<S> = {
  [T in TableName<S>]: RecordOf<S, T>[Exclude<keyof RecordOf<S, T>, KeyAttributeOf<S, T>>] extends number ? T : never
}[TableName<S>]

/**
 * A database handle typed by a schema `S` (`openDatabase<S>()`): the same object as a
 * {@link Database}, with table names, keys, records, patterns, index attributes, folds, events
 * and `tableInfo` items checked by the compiler. Members not listed here are the untyped ones.
 *
 * @example
 * type Shop = { stock: TableSchema<{ sku: string; count: number }, 'sku'> }
 * const db = await openDatabase<Shop>({ name: 'shop' })
 * const [s] = await db.dirtyRead('stock', 'apple') // { sku: string; count: number } | undefined
 */
export type TypedDatabase<S> = Omit<Database, TypedDatabaseKeys> & {
  addTableCopy(table: TableName<S>, node: string, storage?: StorageType): Promise<void>
  delTableCopy(table: TableName<S>, node: string): Promise<void>
  changeTableCopyType(table: TableName<S>, node: string, storage: StorageType): Promise<void>
  createTable<T extends TableName<S>>(name: T, opts: TypedTableOptions<RecordOf<S, T>, KeyAttributeOf<S, T>, IndexAttributeOf<S, T>>): Promise<void>
  deleteTable(name: TableName<S>): Promise<void>
  clearTable(name: TableName<S>): Promise<void>
  addTableIndex<T extends TableName<S>>(name: T, attr: IndexAttributeOf<S, T>): Promise<void>
  delTableIndex<T extends TableName<S>>(name: T, attr: IndexAttributeOf<S, T>): Promise<void>
  /** The old records are of the table's previous shape: untyped. */
  transformTable<T extends TableName<S>>(
    name: T,
    fn: (old: Record<string, unknown>) => RecordOf<S, T> | undefined,
    newAttributes?: readonly (keyof RecordOf<S, T> & string)[],
  ): Promise<void>
  setMasterNodes(name: TableName<S>, nodes: readonly string[]): Promise<void>
  tableInfo<T extends TableName<S>, I extends TableInfoItem>(name: T, item: I): TableInfoValue<RecordOf<S, T>, I>
  waitForTables(tables: readonly TableName<S>[], timeoutMs?: number): Promise<void>
  transaction<V>(fn: TypedActivityFn<S, V>, opts?: TransactionOptions): Promise<V>
  syncTransaction<V>(fn: TypedActivityFn<S, V>, opts?: TransactionOptions): Promise<V>
  activity<V>(kind: ActivityKind, fn: TypedActivityFn<S, V>, opts?: TransactionOptions): Promise<V>
  asyncDirty<V>(fn: TypedActivityFn<S, V>): Promise<V>
  syncDirty<V>(fn: TypedActivityFn<S, V>): Promise<V>
  ets<V>(fn: TypedActivityFn<S, V>): Promise<V>
  dirtyRead<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): Promise<RecordOf<S, T>[]>
  dirtyReadSync<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): RecordOf<S, T>[]
  dirtyWrite<T extends TableName<S>>(tab: T, record: RecordOf<S, T>): Promise<void>
  dirtyDelete<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): Promise<void>
  dirtyDeleteObject<T extends TableName<S>>(tab: T, record: RecordOf<S, T>): Promise<void>
  dirtyFirst<T extends TableName<S>>(tab: T): Promise<KeyOf<S, T> | undefined>
  dirtyLast<T extends TableName<S>>(tab: T): Promise<KeyOf<S, T> | undefined>
  dirtyNext<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): Promise<KeyOf<S, T> | undefined>
  dirtyPrev<T extends TableName<S>>(tab: T, key: KeyOf<S, T>): Promise<KeyOf<S, T> | undefined>
  dirtyAllKeys<T extends TableName<S>>(tab: T): Promise<KeyOf<S, T>[]>
  dirtySlot<T extends TableName<S>>(tab: T, n: number): Promise<RecordOf<S, T>[] | undefined>
  dirtyMatchObject<T extends TableName<S>>(tab: T, pattern: Pattern<RecordOf<S, T>>): Promise<RecordOf<S, T>[]>
  dirtySelect<T extends TableName<S>, const M extends MatchSpec<RecordOf<S, T>>>(tab: T, spec: M): Promise<SelectResult<RecordOf<S, T>, M>[]>
  dirtySelect<T extends TableName<S>, const M extends MatchSpec<RecordOf<S, T>>>(
    tab: T,
    spec: M,
    n: number,
  ): Promise<SelectChunk<SelectResult<RecordOf<S, T>, M>> | null>
  selectContinue<V = unknown>(cont: SelectContinuation): Promise<SelectChunk<V> | null>
  dirtyIndexRead<T extends TableName<S>, A extends IndexAttributeOf<S, T>>(tab: T, value: RecordOf<S, T>[A & keyof RecordOf<S, T>], attr: A): Promise<RecordOf<S, T>[]>
  dirtyIndexMatchObject<T extends TableName<S>>(tab: T, pattern: Pattern<RecordOf<S, T>>, attr: IndexAttributeOf<S, T>): Promise<RecordOf<S, T>[]>
  dirtyUpdateCounter<T extends CounterTable<S>>(tab: T, key: KeyOf<S, T>, incr: number): Promise<number>
  subscribe<T extends TableName<S>>(
    spec: { table: T; detail?: 'simple' },
    fn: (ev: TypedTableEvent<T, RecordOf<S, T>, KeyOf<S, T>>) => void,
  ): () => void
  subscribe<T extends TableName<S>>(
    spec: { table: T; detail: 'detailed' },
    fn: (ev: TypedDetailedTableEvent<T, RecordOf<S, T>, KeyOf<S, T>>) => void,
  ): () => void
  subscribe(spec: 'system', fn: (ev: SystemEvent) => void): () => void
  liveQuery<V>(fn: TypedActivityFn<S, V>): LiveQuery<V>
}
