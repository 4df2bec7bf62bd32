/**
 * The node's IndexedDB database, and the one connection a tab holds to it.
 *
 * On-disc format, version 4 (`FORMAT`), database `webnesia:<name>`:
 *
 *     ┌──────────┬───────────────────────┬──────────────────────────────────────────────┐
 *     │ store    │ key                   │ value                                        │
 *     ├──────────┼───────────────────────┼──────────────────────────────────────────────┤
 *     │ meta     │ 'node'                │ this node's id                                │
 *     │          │ 'lsn'                 │ format 2 only (now: the last log entry's LSN) │
 *     │          │ 'format'              │ FORMAT                                        │
 *     │          │ 'dumped'              │ LSN the disc_copies stores reflect (dumper.ts)│
 *     │          │ 'partition'           │ nodes met, tables changed while apart         │
 *     │          │                       │ (replication/replicator.ts)                   │
 *     │ schema   │ table name            │ TableDef (schema/table-def.ts)                │
 *     │ log      │ LSN of its 1st entry  │ LogEntry[] of one group commit (log/entry.ts) │
 *     │          │                       │ (the last record and every record after       │
 *     │          │                       │  'dumped' are never truncated)                │
 *     │ tabs     │ tab id                │ { applied: LSN, at: ms } (log truncation)     │
 *     │ ydoc     │ auto-increment        │ a Yjs update of the replication document      │
 *     │ t:<tab>  │ key (set, ordered_set)│ the record                                    │
 *     │          │ [key, canonical(rec)] │ the record (bag: one row per record)          │
 *     │          │  + one IDB index per indexed attribute on disc_only_copies tables     │
 *     └──────────┴───────────────────────┴──────────────────────────────────────────────┘
 *
 * Schema changes that add or drop object stores run as version upgrades. A tab that receives
 * `versionchange` closes its connection at once (it never blocks the upgrading tab) and reopens
 * lazily on its next use; a transaction that finds the connection closed retries on a fresh one.
 *
 * @module
 */
import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb'
import { DatabaseClosedError, WebnesiaError } from '../errors.js'

/**
 * Version of the on-disc format. 4: disc_copies stores lag the log (log/dumper.ts, `dumped`);
 * 3: log records keyed by their first LSN; 2: by their last, with `meta.lsn`.
 */
export const FORMAT = 4
export const META = 'meta'
export const SCHEMA = 'schema'
export const LOG = 'log'
export const TABS = 'tabs'
/** Updates of the replication document (replication/doc.ts), autoIncrement keys; created on first `join`. */
export const YDOC = 'ydoc'

/**
 * Issues an IndexedDB request without awaiting it: its outcome is the transaction's (`tx.done`),
 * and a request failed by an abort must not become an unhandled rejection.
 */
export function fire(request: Promise<unknown>): void {
  request.catch(() => undefined)
}

/** Name of the IndexedDB database of node `name`. */
export function idbName(name: string): string {
  return `webnesia:${name}`
}

export type UpgradeTx = IDBPTransaction<unknown, string[], 'versionchange'>
export type Database = IDBPDatabase

function createBaseStores(db: IDBPDatabase): void {
  for (const s of [META, SCHEMA, LOG, TABS]) {
    if (!db.objectStoreNames.contains(s)) db.createObjectStore(s)
  }
}

/** The tab's connection to the node's database. */
export class Connection {
  private db: IDBPDatabase | null = null
  private opening: Promise<IDBPDatabase> | null = null
  private closed = false
  /** Called after the connection was closed by another tab's upgrade (to resync the schema). */
  onVersionChange: (() => void) | null = null

  constructor(readonly name: string) {}

  /** The open connection (opening it if needed). */
  get(): Promise<IDBPDatabase> {
    if (this.closed) return Promise.reject(new DatabaseClosedError())
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
    upgrade: ((db: IDBPDatabase, tx: UpgradeTx) => void) | null,
  ): Promise<IDBPDatabase> {
    const db = await openDB(idbName(this.name), version, {
      upgrade: (d, oldVersion, _newVersion, tx) => {
        if (oldVersion === 0) {
          createBaseStores(d)
          fire(tx.objectStore(META).put(FORMAT, 'format'))
        }
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
    this.db = db
    return db
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
  async upgrade<T>(fn: (db: IDBPDatabase, tx: UpgradeTx) => Promise<T>): Promise<T> {
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
    this.db?.close()
    this.db = null
  }
}
