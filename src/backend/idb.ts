/**
 * The IndexedDB backend: the {@link StorageBackend} of a browser tab, over `idb` (a tab's
 * {@link Connection} to the database `webnesia:<name>`, adapted store by store).
 *
 * Schema changes that add or drop object stores run as version upgrades. A tab that receives
 * `versionchange` closes its connection at once (it never blocks the upgrading tab) and reopens
 * lazily on its next use; a transaction that finds the connection closed fails with an
 * InvalidStateError and is retried on a fresh one.
 *
 * @module
 */
import { openDB, unwrap, type IDBPDatabase, type IDBPObjectStore, type IDBPTransaction } from 'idb'
import { DatabaseClosedError, WebnesiaError } from '../errors.js'
import { KeyRange, type BackendFactory, type BackendTx, type Direction, type Durability, type Mode, type Query, type StorageBackend, type Store, type StoreKey, type UpgradeTx } from './backend.js'

/** Name of the IndexedDB database of node `name`. */
export function idbName(name: string): string {
  return `webnesia:${name}`
}

/** idb's version-change transaction. */
export type IdbUpgradeTx = IDBPTransaction<unknown, string[], 'versionchange'>

/** The tab's connection to the node's database. */
export class Connection {
  private db: IDBPDatabase | null = null
  private opening: Promise<IDBPDatabase> | null = null
  private closed = false
  /** The IndexedDB transactions of this connection still running (aborted by {@link suspend}). */
  private readonly running = new Set<IDBTransaction>()
  private suspended: { promise: Promise<void>; resume: () => void } | null = null
  /** How many times the connection was suspended (see {@link suspend}). */
  suspensions = 0
  /** Called after the connection was closed by another tab's upgrade (to resync the schema). */
  onVersionChange: (() => void) | null = null

  constructor(
    readonly name: string,
    /** Runs in the upgrade that creates the database (its base stores, its format). */
    private readonly create: (db: IDBPDatabase, tx: IdbUpgradeTx) => void = () => undefined,
  ) {}

  /** The open connection (opening it if needed). */
  get(): Promise<IDBPDatabase> {
    if (this.closed) return Promise.reject(new DatabaseClosedError())
    if (this.suspended) return this.suspended.promise.then(() => this.get())
    if (this.db) return Promise.resolve(this.db)
    this.opening ??= this.open(undefined, null).finally(() => {
      this.opening = null
    })
    return this.opening
  }

  /** Version of the open connection, 0 when none is open. */
  get version(): number {
    return this.db?.version ?? 0
  }

  private async open(
    version: number | undefined,
    upgrade: ((db: IDBPDatabase, tx: IdbUpgradeTx) => void) | null,
  ): Promise<IDBPDatabase> {
    const db = await openDB(idbName(this.name), version, {
      upgrade: (d, oldVersion, _newVersion, tx) => {
        if (oldVersion === 0) this.create(d, tx)
        if (upgrade) upgrade(d, tx)
      },
      blocking: () => {
        // Another tab wants a newer version: step aside at once, reopen lazily.
        this.drop(db)
      },
      terminated: () => {
        this.drop(db)
      },
    })
    if (this.closed) {
      db.close()
      throw new DatabaseClosedError()
    }
    this.track(db)
    this.db = db
    return db
  }

  /** Remembers every transaction of `db` until it ends, so {@link suspend} can abort it. */
  private track(db: IDBPDatabase): void {
    const native = unwrap(db)
    const create = native.transaction.bind(native)
    native.transaction = ((stores: string | string[], mode?: IDBTransactionMode, opts?: IDBTransactionOptions) => {
      const tx = create(stores, mode, opts)
      this.running.add(tx)
      const end = (): void => void this.running.delete(tx)
      tx.addEventListener('complete', end)
      tx.addEventListener('abort', end)
      return tx
    }) as typeof native.transaction
  }

  /**
   * The tab is being frozen (Page Lifecycle `freeze`): abort every transaction still running and
   * open none until {@link resume}. A frozen tab's open transaction holds its stores — the log among
   * them — until the tab runs again (its callbacks cannot run), stalling every other tab's commits
   * (DESIGN.md decision 7). What was aborted is retried on resume (commits, catch-ups) or later
   * (housekeeping, dumps).
   */
  suspend(): void {
    if (this.suspended) return
    this.suspensions++
    let resume = (): void => undefined
    const promise = new Promise<void>((r) => (resume = r))
    this.suspended = { promise, resume }
    for (const tx of this.running) {
      try {
        tx.abort()
      } catch {
        // already finishing
      }
    }
    this.running.clear()
  }

  /** The tab runs again: transactions may open. */
  resume(): void {
    const s = this.suspended
    this.suspended = null
    s?.resume()
  }

  private drop(db: IDBPDatabase): void {
    db.close()
    if (this.db === db) {
      this.db = null
      this.onVersionChange?.()
    }
  }

  /**
   * Runs `fn` in a version-change transaction (which can create and delete object stores and
   * reads and writes every store). `fn` may await requests of `tx` only. Its result, or its error,
   * is returned once the upgrade committed.
   */
  async upgrade<T>(fn: (db: IDBPDatabase, tx: IdbUpgradeTx) => Promise<T>): Promise<T> {
    for (;;) {
      const current = await this.get()
      const target = current.version + 1
      if (this.db === current) {
        this.db = null
        current.close()
      }
      let ran = false
      let result: { ok: true; value: T } | { ok: false; error: unknown } | null = null
      try {
        await this.open(target, (db, tx) => {
          ran = true
          // An aborted upgrade is reported through `open`; its `done` promise must not go unhandled.
          tx.done.catch(() => undefined)
          fn(db, tx).then(
            (value) => {
              result = { ok: true, value }
            },
            (error: unknown) => {
              result = { ok: false, error }
              try {
                tx.abort()
              } catch {
                // already finished
              }
            },
          )
        })
      } catch (e) {
        const r = result as { ok: false; error: unknown } | null
        if (r && !r.ok) throw r.error
        if ((e as { name?: string }).name === 'VersionError') continue // someone upgraded first
        throw e
      }
      if (!ran) continue // the version was taken by another tab's upgrade: try the next one
      const r = result as { ok: true; value: T } | { ok: false; error: unknown } | null
      if (r === null) throw new WebnesiaError('storage', 'upgrade finished without a result')
      if (!r.ok) throw r.error
      return r.value
    }
  }

  /** Closes for good. */
  close(): void {
    this.closed = true
    this.resume()
    this.db?.close()
    this.db = null
  }
}

type AnyIdbStore = IDBPObjectStore<unknown, string[], string, IDBTransactionMode | 'versionchange'>

/** An IDBKeyRange (or key) for a backend query. */
function toIdb(q: Query | undefined): IDBValidKey | IDBKeyRange | undefined {
  if (!(q instanceof KeyRange)) return q
  if (q.lower !== undefined && q.upper !== undefined) {
    return q.lower === q.upper && !q.lowerOpen && !q.upperOpen ? IDBKeyRange.only(q.lower) : IDBKeyRange.bound(q.lower, q.upper, q.lowerOpen, q.upperOpen)
  }
  if (q.lower !== undefined) return IDBKeyRange.lowerBound(q.lower, q.lowerOpen)
  if (q.upper !== undefined) return IDBKeyRange.upperBound(q.upper, q.upperOpen)
  return undefined
}

/** An object store inside an IndexedDB transaction, as a backend {@link Store}. */
class IdbStore implements Store {
  constructor(private readonly s: AnyIdbStore) {}
  get(key: StoreKey): Promise<unknown> {
    return this.s.get(key)
  }
  getAll(query?: Query, count?: number): Promise<unknown[]> {
    return this.s.getAll(toIdb(query), count)
  }
  getAllKeys(query?: Query, count?: number): Promise<StoreKey[]> {
    return this.s.getAllKeys(toIdb(query), count)
  }
  count(query?: Query): Promise<number> {
    return this.s.count(toIdb(query))
  }
  async edgeKey(query: Query | undefined, direction: Direction): Promise<StoreKey | undefined> {
    const cur = await this.s.openKeyCursor(toIdb(query), direction)
    return cur?.primaryKey
  }
  async entries(query: Query | undefined, direction: Direction, count: number): Promise<{ key: StoreKey; value: unknown }[]> {
    const out: { key: StoreKey; value: unknown }[] = []
    if (count <= 0) return out
    let cur = await this.s.openCursor(toIdb(query), direction)
    while (cur) {
      out.push({ key: cur.primaryKey, value: cur.value })
      if (out.length >= count) break
      cur = await cur.continue()
    }
    return out
  }
  readChunks(chunk: number, onRows: (rows: unknown[]) => void, within?: KeyRange): Promise<void> {
    const store = unwrap(this.s)
    const first = toIdb(within) as IDBKeyRange | undefined
    return new Promise((resolve, reject) => {
      const fail = (req: IDBRequest): void => {
        reject(req.error ?? new DOMException('read failed', 'UnknownError'))
      }
      const next = (after: IDBValidKey | undefined): void => {
        const range = after === undefined ? first : within?.upper !== undefined ? IDBKeyRange.bound(after, within.upper, true, within.upperOpen) : IDBKeyRange.lowerBound(after, true)
        // The keys tell where the next chunk starts: it is requested as soon as they are in,
        // before this chunk's rows are handed over.
        const keys = store.getAllKeys(range, chunk)
        const rows = store.getAll(range, chunk)
        keys.onsuccess = () => {
          const ks = keys.result
          if (ks.length === chunk) next(ks[ks.length - 1])
        }
        rows.onsuccess = () => {
          try {
            const rs = rows.result as unknown[]
            onRows(rs)
            if (rs.length < chunk) resolve()
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)))
          }
        }
        keys.onerror = () => {
          fail(keys)
        }
        rows.onerror = () => {
          fail(rows)
        }
      }
      next(undefined)
    })
  }
  hasIndex(name: string): boolean {
    return this.s.indexNames.contains(name)
  }
  indexGetAll(index: string, key: StoreKey): Promise<unknown[]> {
    return this.s.index(index).getAll(key)
  }
  put(value: unknown, key: StoreKey): Promise<unknown> {
    return (this.s as IDBPObjectStore<unknown, string[], string, 'readwrite'>).put(value, key)
  }
  add(value: unknown, key: StoreKey): Promise<unknown> {
    return (this.s as IDBPObjectStore<unknown, string[], string, 'readwrite'>).add(value, key)
  }
  delete(query: Query): Promise<unknown> {
    return (this.s as IDBPObjectStore<unknown, string[], string, 'readwrite'>).delete(toIdb(query) as IDBValidKey | IDBKeyRange)
  }
  clear(): Promise<unknown> {
    return (this.s as IDBPObjectStore<unknown, string[], string, 'readwrite'>).clear()
  }
}

type AnyIdbTx = IDBPTransaction<unknown, string[], IDBTransactionMode | 'versionchange'>

/** An IndexedDB transaction as a backend {@link BackendTx}. */
class IdbTx implements BackendTx {
  constructor(protected readonly tx: AnyIdbTx) {}
  store(name: string): Store {
    return new IdbStore(this.tx.objectStore(name))
  }
  get done(): Promise<void> {
    return this.tx.done
  }
  abort(): void {
    this.tx.abort()
  }
}

/** A version-change transaction as the backend's {@link UpgradeTx}. */
class IdbUpgrade extends IdbTx implements UpgradeTx {
  constructor(
    private readonly db: IDBPDatabase,
    tx: IdbUpgradeTx,
  ) {
    super(tx)
  }
  hasStore(name: string): boolean {
    return this.db.objectStoreNames.contains(name)
  }
  createStore(name: string, opts?: { autoIncrement?: boolean }): void {
    this.db.createObjectStore(name, opts?.autoIncrement ? { autoIncrement: true } : undefined)
  }
  deleteStore(name: string): void {
    this.db.deleteObjectStore(name)
  }
  createIndex(store: string, attr: string): void {
    ;(this.tx as IdbUpgradeTx).objectStore(store).createIndex(attr, attr)
  }
  deleteIndex(store: string, attr: string): void {
    ;(this.tx as IdbUpgradeTx).objectStore(store).deleteIndex(attr)
  }
}

/** The IndexedDB {@link StorageBackend} of one tab. */
export class IdbBackend implements StorageBackend {
  /** The idb connection under it (replication/ reads and writes its own stores through it). */
  readonly connection: Connection
  constructor(name: string, create: (tx: UpgradeTx) => void) {
    this.connection = new Connection(name, (db, tx) => {
      create(new IdbUpgrade(db, tx))
    })
  }
  get onVersionChange(): (() => void) | null {
    return this.connection.onVersionChange
  }
  set onVersionChange(fn: (() => void) | null) {
    this.connection.onVersionChange = fn
  }
  async storeNames(): Promise<string[]> {
    return [...(await this.connection.get()).objectStoreNames]
  }
  async transaction(stores: readonly string[], mode: Mode, durability?: Durability): Promise<BackendTx> {
    const db = await this.connection.get()
    return new IdbTx(db.transaction(stores as string[], mode, durability ? { durability } : undefined))
  }
  upgrade<T>(fn: (tx: UpgradeTx) => Promise<T>): Promise<T> {
    return this.connection.upgrade((db, tx) => fn(new IdbUpgrade(db, tx)))
  }
  suspend(): void {
    this.connection.suspend()
  }
  resume(): void {
    this.connection.resume()
  }
  get suspensions(): number {
    return this.connection.suspensions
  }
  close(): void {
    this.connection.close()
  }
}

/** The IndexedDB backend factory (the default). */
export const idbBackend: BackendFactory = (name, create) => new IdbBackend(name, create)
