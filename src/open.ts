/**
 * Opening a node in this tab: {@link openDatabase} (IndexedDB, or files under `dir` on Node) and
 * the internal {@link openDatabaseOn} over any storage backend (tests wrap IndexedDB in the fault
 * wrapper, backend/faults.ts).
 *
 * @module
 */
import type { BackendFactory } from './backend/backend.js'
import type * as FileBackend from './backend/file/backend.js'
import { idbBackend } from './backend/idb.js'
import { checkIndexedDB } from './db-args.js'
import { Database } from './db.js'
import { mapStorageError, WebnesiaError } from './errors.js'
import { LocalNode } from './node.js'
import type { DatabaseSchema } from './typed/schema.js'
import type { TypedDatabase } from './typed/database.js'

/** Options of {@link openDatabase}. */
export interface OpenOptions {
  /** The database name: every tab opening the same name is part of the same node. */
  name: string
  /** The node id to use when this device's database is created (default: a random id). */
  node?: string
  /**
   * Node ≥ 20 only (an edge node): keep the node's disc copies in files under this folder (one
   * folder per node name: an fsynced, checksummed log plus snapshots, backend/file/) instead of
   * IndexedDB. One process at a time may open a node's folder (another gets a `'locked'` error).
   */
  dir?: string
}

type FileBackendModule = typeof FileBackend

/** The file backend, loaded only when a `dir` is given: bundlers for the browser never see it. */
async function fileBackendFor(dir: string): Promise<BackendFactory> {
  const spec = './backend/file/backend.js'
  const mod = (await import(/* @vite-ignore */ spec)) as FileBackendModule
  return mod.fileBackend(dir)
}

/**
 * Opens (or creates) the node `name` in this tab, typed by a schema `S` (API.md, "Typed tables"):
 * the same handle, seen through {@link TypedDatabase}.
 *
 * @example
 * type Shop = { stock: TableSchema<{ sku: string; count: number }, 'sku'> }
 * const db = await openDatabase<Shop>({ name: 'shop' })
 * @throws WebnesiaError `badarg` for bad options; the storage's errors (e.g. `StorageFullError`).
 */
export function openDatabase<S extends DatabaseSchema<S> = never>(opts: [S] extends [never] ? never : OpenOptions): Promise<TypedDatabase<S>>
/**
 * Opens (or creates) the node `name` in this tab.
 *
 * @throws WebnesiaError 'badarg' for bad options; 'not_supported' where there is no IndexedDB
 * (Node without `fake-indexeddb/auto`); a storage error if IndexedDB refuses to open.
 * @example
 * const db = await openDatabase({ name: 'shop' })
 * await db.createTable('stock', { attributes: ['sku', 'count'] })
 */
export function openDatabase(opts: OpenOptions): Promise<Database>
export async function openDatabase(opts: OpenOptions): Promise<Database | TypedDatabase<never>> {
  const dir = (opts as Partial<OpenOptions> | null)?.dir
  if (dir !== undefined) {
    if (typeof dir !== 'string' || dir.length === 0) throw new WebnesiaError('badarg', 'openDatabase: dir must be a non-empty path')
    if (typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== 'string') {
      throw new WebnesiaError('not_supported', 'openDatabase: dir (files on disc) needs Node >= 20; in a browser the node lives in IndexedDB')
    }
    return openDatabaseOn(await fileBackendFor(dir), opts)
  }
  return openDatabaseOn(idbBackend, opts)
}

/**
 * {@link openDatabase} over another storage backend (backend/backend.ts): tests wrap the
 * IndexedDB one in backend/faults.ts.
 *
 * @internal
 */
export async function openDatabaseOn(backend: BackendFactory, opts: OpenOptions): Promise<Database> {
  if (typeof opts !== 'object' || opts === null) throw new WebnesiaError('badarg', 'openDatabase: options must be an object')
  if (typeof opts.name !== 'string' || opts.name.length === 0) throw new WebnesiaError('badarg', 'openDatabase: name must be a non-empty string')
  if (opts.node !== undefined && (typeof opts.node !== 'string' || opts.node.length === 0)) {
    throw new WebnesiaError('badarg', 'openDatabase: node must be a non-empty string')
  }
  if (backend === idbBackend) checkIndexedDB()
  const node = new LocalNode(opts.name, backend)
  try {
    await node.open(opts.node)
  } catch (e) {
    await node.close().catch(() => undefined)
    // A storage request that failed while loading (IndexedDB's DOMException): a typed error.
    throw e instanceof DOMException ? mapStorageError(e) : e
  }
  return new Database(node)
}
