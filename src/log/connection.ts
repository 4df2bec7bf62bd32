/**
 * The node's on-disc format: its stores, their keys and values, and the format version.
 *
 * On-disc format, version 5 (`FORMAT`), database `webnesia:<name>`:
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
 *     │ t:<tab>  │ disc_copies:          │ (storage/disc-image.ts)                       │
 *     │          │ [0, n]                │ snapshot chunk n: an array of records         │
 *     │          │ [1, key]              │ delta: [key, the key's records] ([]: deleted) │
 *     │          │ disc_only_copies:     │                                               │
 *     │          │ key (set, ordered_set)│ the record                                    │
 *     │          │ [key, canonical(rec)] │ the record (bag: one row per record)          │
 *     │          │  + one IDB index per indexed attribute on disc_only_copies tables     │
 *     └──────────┴───────────────────────┴──────────────────────────────────────────────┘
 *
 * The engine reaches these stores through the storage backend seam (backend/backend.ts); the
 * IndexedDB backend (backend/idb.ts) keeps them in the database `webnesia:<name>`. Schema changes
 * that add or drop stores run in the backend's upgrade step (a version upgrade in IndexedDB).
 *
 * @module
 */
import type { UpgradeTx } from '../backend/backend.js'
import { fire } from '../backend/requests.js'

// Kept here for the modules that import them from the log (replication/): the IndexedDB
// connection and the request helper now live in backend/.
export { fire }
export { Connection, idbName } from '../backend/idb.js'
export type { IdbUpgradeTx } from '../backend/idb.js'

/**
 * Version of the on-disc format. 5: a disc_copies store holds snapshot chunks and deltas
 * (storage/disc-image.ts); 4: disc_copies stores lag the log (log/dumper.ts, `dumped`);
 * 3: log records keyed by their first LSN; 2: by their last, with `meta.lsn`.
 */
export const FORMAT = 5
export const META = 'meta'
export const SCHEMA = 'schema'
export const LOG = 'log'
export const TABS = 'tabs'
/** Updates of the replication document (replication/doc.ts), autoIncrement keys; created on first `join`. */
export const YDOC = 'ydoc'

/** Creates the base stores of a new database and stamps its format (the backend's `create` step). */
export function createBaseStores(tx: UpgradeTx): void {
  for (const s of [META, SCHEMA, LOG, TABS]) {
    if (!tx.hasStore(s)) tx.createStore(s)
  }
  fire(tx.store(META).put(FORMAT, 'format'))
}
