/**
 * Reading the on-disc format (log/connection.ts draws it) when a tab loads or a schema change
 * starts: the node's current LSN, and the migration of a database written in an older format.
 * A database of a newer format is refused rather than corrupted.
 *
 * @module
 */
import type { BackendTx } from '../backend/backend.js'
import { fire } from '../backend/requests.js'
import { WebnesiaError } from '../errors.js'
import type { TableDef } from '../schema/table-def.js'
import { storeName } from '../schema/table-def.js'
import { writeSnapshot } from '../storage/disc-image.js'
import { groupRows } from '../storage/idb-table.js'
import type { Rec } from '../storage/record.js'
import { FORMAT, LOG, META, SCHEMA } from './connection.js'
import { DUMPED } from './dumper.js'
import { lastLogLsn, logKey, type LogRecord } from './entry.js'

/**
 * The node's current LSN, read inside a readwrite transaction over every store: the last log
 * entry's, or `meta.lsn` where an older database kept it (format 2). A database of an older format
 * is migrated here, once; one of a newer format is refused.
 */
export async function currentLsn(tx: BackendTx): Promise<number> {
  const meta = tx.store(META)
  const log = tx.store(LOG)
  const format = (await meta.get('format')) as number | undefined
  if (format !== undefined && format > FORMAT) {
    // Written by a newer webnesia: its log may mean something else. Refuse rather than corrupt it.
    throw new WebnesiaError('not_supported', `this database has on-disc format ${String(format)}; this webnesia reads up to ${String(FORMAT)}`)
  }
  if (format !== undefined && format < FORMAT) {
    await migrate(tx, format)
  }
  const stored = ((await meta.get('lsn')) as number | undefined) ?? 0
  // `dumped` is always the last LSN of a log record; when it is at or past the key (first LSN) of
  // the last record, it is that record's last LSN: no need to read the record (a big one costs).
  const lastKey = (await log.edgeKey(undefined, 'prev')) as number | undefined
  const dumped = ((await meta.get(DUMPED)) as number | undefined) ?? 0
  if (lastKey !== undefined && dumped >= lastKey) return Math.max(stored, dumped)
  return Math.max(stored, await lastLogLsn(log))
}

/**
 * Brings a database of an older format to {@link FORMAT}: format 2 log records are re-keyed by
 * their first LSN, the stores of formats 2 and 3 (written by every commit) hold the whole log, and
 * the disc_copies stores of formats 2 to 4 (one row per record) become snapshots
 * (storage/disc-image.ts), in the same transaction.
 */
async function migrate(tx: BackendTx, format: number): Promise<void> {
  const meta = tx.store(META)
  const log = tx.store(LOG)
  if (format === 2) {
    const moved: LogRecord[] = []
    for (const { key, value } of await log.entries(undefined, 'next', Infinity)) {
      const rec = value as LogRecord
      if (rec.length > 0 && logKey(rec) !== key) {
        moved.push(rec)
        fire(log.delete(key))
      }
    }
    for (const rec of moved) fire(log.put(rec, logKey(rec)))
  }
  if (format < 4) {
    const stored = ((await meta.get('lsn')) as number | undefined) ?? 0
    fire(meta.put(Math.max(stored, await lastLogLsn(log)), DUMPED))
  }
  if (format < 5) {
    for (const def of (await tx.store(SCHEMA).getAll()) as TableDef[]) {
      if (def.storage !== 'disc_copies') continue
      const store = tx.store(storeName(def))
      const slots: { recs: readonly Rec[] }[] = []
      groupRows(def, await store.getAll(), (_key, recs) => slots.push({ recs }))
      writeSnapshot(store, slots)
    }
  }
  fire(meta.put(FORMAT, 'format'))
}
