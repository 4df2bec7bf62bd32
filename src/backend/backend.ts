/**
 * The storage backend seam: the one interface through which the engine reaches durable storage.
 * The log (log/), the dumper, disc table copies (storage/idb-table.ts), schema changes
 * (schema/ddl.ts) and the node's load and housekeeping use nothing else; the committer sees only
 * a {@link BackendTx} and its stores. IndexedDB is the first implementation (backend/idb.ts),
 * {@link FaultyBackend} (backend/faults.ts) wraps any backend to fail chosen requests in tests,
 * and a Node file backend (an fsynced, checksummed log plus table dump files renamed into
 * place) can implement it without any change above this folder. Shaped after IndexedDB and
 * Dexie's DBCore, and kept as small as the engine needs.
 *
 * Contract (what every implementation guarantees; the engine's correctness rests on it):
 *
 * - **Named stores** of key → value. Keys ({@link StoreKey}) are ordered like IndexedDB keys
 *   (numbers < dates < strings < binary < arrays, arrays element-wise: storage/term.ts
 *   `compareKeys`); every read returns keys and values in that order (or reversed, `'prev'`).
 *   Values are structured clones: a read returns a fresh copy the caller may freeze.
 * - **Transactions** ({@link StorageBackend.transaction}) over a named set of stores, `readonly`
 *   or `readwrite`, are atomic and isolated: overlapping readwrite transactions, from any tab or
 *   process sharing the database, run one after the other in the order they were opened; a
 *   transaction sees its own writes. Requests are issued without awaiting each other; their
 *   promises settle in issue order. `done` resolves once the transaction committed — with
 *   durability `'strict'`, once it survives a power loss — and rejects with the error that aborted
 *   it; nothing of an aborted transaction is visible, ever. A request that fails (a ConstraintError
 *   from {@link Store.add} on a key that exists, a QuotaExceededError, ...) rejects its promise and
 *   aborts its transaction: `done` rejects (with that error where the backend keeps it, else an
 *   AbortError), and the later requests of the transaction fail. A transaction commits when it has no request pending and
 *   its caller issued none in the same task: never await anything foreign while one is open.
 *   Callers that do not await a write request's promise must still handle its rejection (`fire`).
 *   A commit whose `done` failed may still have landed (an unknown outcome): the engine looks its
 *   commit id up (log/append.ts).
 * - **Indexes** on a store are by one attribute of the (object) values, created and dropped in the
 *   upgrade step; {@link Store.indexGetAll} reads the values whose attribute equals a key.
 * - **The upgrade step** ({@link StorageBackend.upgrade}): one exclusive transaction over every
 *   store, the only place stores and indexes are created or deleted; it excludes every other
 *   transaction of every process, and other connections are told ({@link
 *   StorageBackend.onVersionChange}) so they let it run and reopen on their next use.
 *   A transaction that finds its connection gone fails with an `InvalidStateError` (the engine
 *   retries), one naming a store that does not exist with a `NotFoundError`.
 * - Errors are the DOMException names of IndexedDB (`ConstraintError`, `QuotaExceededError`,
 *   `InvalidStateError`, `NotFoundError`, `TransactionInactiveError`, `VersionError`, ...); the
 *   engine maps them once (errors.ts `mapStorageError`).
 *
 * @module
 */

/** A key of a store: ordered like IndexedDB keys (storage/term.ts). */
export type StoreKey = IDBValidKey

/** A range of keys: bounds absent are open-ended. */
export class KeyRange {
  private constructor(
    readonly lower: StoreKey | undefined,
    readonly upper: StoreKey | undefined,
    readonly lowerOpen: boolean,
    readonly upperOpen: boolean,
  ) {}
  /** Exactly `key`. */
  static only(key: StoreKey): KeyRange {
    return new KeyRange(key, key, false, false)
  }
  static bound(lower: StoreKey, upper: StoreKey, lowerOpen = false, upperOpen = false): KeyRange {
    return new KeyRange(lower, upper, lowerOpen, upperOpen)
  }
  static lowerBound(lower: StoreKey, open = false): KeyRange {
    return new KeyRange(lower, undefined, open, false)
  }
  static upperBound(upper: StoreKey, open = false): KeyRange {
    return new KeyRange(undefined, upper, false, open)
  }
}

/** One key or a range; absent: the whole store. */
export type Query = StoreKey | KeyRange

/** Key order (`'next'`) or its reverse (`'prev'`). */
export type Direction = 'next' | 'prev'

export type Mode = 'readonly' | 'readwrite'

/** `'strict'`: `done` waits until the commit survives a power loss (acknowledged commits need it). */
export type Durability = 'strict' | 'relaxed'

/** One store inside a transaction. */
export interface Store {
  get(key: StoreKey): Promise<unknown>
  getAll(query?: Query, count?: number): Promise<unknown[]>
  getAllKeys(query?: Query, count?: number): Promise<StoreKey[]>
  count(query?: Query): Promise<number>
  /** The first key within `query` in `direction` (undefined when none). */
  edgeKey(query: Query | undefined, direction: Direction): Promise<StoreKey | undefined>
  /** Up to `count` rows within `query`, in `direction` (a cursor's walk). */
  entries(query: Query | undefined, direction: Direction, count: number): Promise<{ key: StoreKey; value: unknown }[]>
  /**
   * Every value in key order, `chunk` at a time, to `onRows`; the next chunk is requested before
   * the current one is handed over, so the backend reads while the caller works. `range`: only
   * the values within it (a {@link KeyRange}; absent: the whole store).
   */
  readChunks(chunk: number, onRows: (rows: unknown[]) => void, range?: KeyRange): Promise<void>
  /** True when the store has index `name`. */
  hasIndex(name: string): boolean
  /** The values whose indexed attribute (index `index`) equals `key`, in primary-key order. */
  indexGetAll(index: string, key: StoreKey): Promise<unknown[]>
  /** Writes `value` under `key` (readwrite). */
  put(value: unknown, key: StoreKey): Promise<unknown>
  /** Writes `value` under `key`, failing with a ConstraintError (and aborting) when it exists. */
  add(value: unknown, key: StoreKey): Promise<unknown>
  delete(query: Query): Promise<unknown>
  clear(): Promise<unknown>
}

/** A transaction over named stores. */
export interface BackendTx {
  /** A store the transaction was opened over (a NotFoundError otherwise). */
  store(name: string): Store
  /** Resolves once committed, rejects with the error that aborted it. */
  readonly done: Promise<void>
  /** Aborts (throws when already finished). */
  abort(): void
}

/** The upgrade step's transaction: every store, plus creating and deleting stores and indexes. */
export interface UpgradeTx extends BackendTx {
  hasStore(name: string): boolean
  /** Creates a store (`autoIncrement`: keys are assigned when `put`/`add` is given none). */
  createStore(name: string, opts?: { autoIncrement?: boolean }): void
  deleteStore(name: string): void
  /** An index on attribute `attr` of the store's values, named `attr`. */
  createIndex(store: string, attr: string): void
  deleteIndex(store: string, attr: string): void
}

/** One process's connection to a node's durable storage. */
export interface StorageBackend {
  /** The stores that exist now (opening the connection when needed). */
  storeNames(): Promise<string[]>
  /** Opens a transaction (opening the connection when needed). */
  transaction(stores: readonly string[], mode: Mode, durability?: Durability): Promise<BackendTx>
  /**
   * Runs `fn` in the upgrade step. `fn` may await requests of `tx` only; its result, or its
   * error (which aborts the step), is returned once the step committed.
   */
  upgrade<T>(fn: (tx: UpgradeTx) => Promise<T>): Promise<T>
  /** Called when another process's upgrade closed this connection (the schema may have changed). */
  onVersionChange: (() => void) | null
  /**
   * The process is being frozen (a browser tab's Page Lifecycle `freeze`): abort every transaction
   * still running and open none until {@link StorageBackend.resume}. Optional: a backend whose
   * process cannot be frozen with transactions open needs neither.
   */
  suspend?(): void
  /** The process runs again. */
  resume?(): void
  /** How many times {@link StorageBackend.suspend} ran: a commit that saw it move was aborted by a freeze. */
  readonly suspensions?: number
  /** Closes for good: every later call rejects with a DatabaseClosedError. */
  close(): void
}

/**
 * Makes the backend of node `name`. `create` runs in the upgrade step that creates the storage
 * (its base stores, its format version).
 */
export type BackendFactory = (name: string, create: (tx: UpgradeTx) => void) => StorageBackend
