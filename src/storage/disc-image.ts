/**
 * The durable image of a disc_copies table (Mnesia's table dump `.DCD` and table change log
 * `.DCL`): what its store `t:<table>` holds since on-disc format 5.
 *
 * A disc_copies table is read from disc only when a tab loads it whole; fewer, larger IndexedDB
 * values load several times faster than one row per record (measured in Chromium: 100k records as
 * 100 rows of 1,000 load in about a third of the time of 100k rows). So its store holds:
 *
 *     [0, n]    chunk n of the snapshot: an array of records, every key's records together (a
 *               bag key's in canonical order), about {@link CHUNK_BYTES} of records per chunk
 *     [1, key]  a delta written by the dumper since the snapshot: [key, the key's records]
 *               ([] when the key was deleted)
 *
 * The image = the snapshot with each delta's key replaced by its records. The dumper writes
 * deltas (one row per key changed, whatever the table type); a background dump rewrites the
 * snapshot from the tab's memory (every tab holds disc_copies tables in memory) once the deltas
 * pass {@link COMPACT_FRACTION} of the table ({@link compactionDue}), in the dump's one transaction:
 * the store is cleared and refilled, so a crash leaves the old image or the new one.
 *
 * disc_only_copies stores keep one row per record (storage/idb-table.ts): every read goes there.
 *
 * @module
 */
import { KeyRange, type Store, type StoreKey } from '../backend/backend.js'
import { fire } from '../backend/requests.js'
import type { TableDef } from '../schema/table-def.js'
import type { KeyChange } from './reader.js'
import { RowGrouper } from './idb-table.js'
import { adoptRecord, type Rec } from './record.js'
import { KeyMap, type Key } from './term.js'

/** The snapshot's chunks. */
export const SNAPSHOT = KeyRange.bound([0], [1], false, true)
/** The deltas. */
export const DELTAS = KeyRange.bound([1], [2], false, true)

/** About this many bytes of records per snapshot chunk (by the size of the table's first record). */
export const CHUNK_BYTES = 256 * 1024
/** At most this many records per snapshot chunk (and at least {@link MIN_CHUNK}). */
export const MAX_CHUNK = 2000
const MIN_CHUNK = 16

/**
 * The snapshot is rewritten once the deltas pass this fraction of the table's records (Mnesia's
 * `dc_dump_limit` 4 is a quarter; a delta costs a load about what a record in its own row costs,
 * three times a record in a chunk, so fewer are kept here) ...
 */
export const COMPACT_FRACTION = 1 / 8
/** ... and at least this many (a small table is not rewritten at every dump). */
export const COMPACT_MIN = 500

/** True when a table of `records` records whose image holds `deltas` deltas is due a new snapshot. */
export function compactionDue(deltas: number, records: number): boolean {
  return deltas > COMPACT_MIN && deltas > records * COMPACT_FRACTION
}

/** Writes one key's new state as a delta (a dump, inside its transaction). */
export function writeDelta(store: Store, change: KeyChange): void {
  fire(store.put([change.key, change.recs], [1, change.key as StoreKey]))
}

/** Records per chunk for records like `sample` (its JSON size stands for its structured clone's). */
function chunkRecords(sample: Rec | undefined): number {
  let bytes = 256
  try {
    if (sample) bytes = Math.max(16, JSON.stringify(sample).length)
  } catch {
    // a BigInt or a cycle: keep the guess
  }
  return Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, Math.floor(CHUNK_BYTES / bytes)))
}

/**
 * Replaces the whole image with a snapshot of `slots` (each key's records, in any key order) and no
 * deltas, inside the caller's transaction. Returns the number of chunks written.
 */
export function writeSnapshot(store: Store, slots: Iterable<{ readonly recs: readonly Rec[] }>): number {
  fire(store.clear())
  let per = 0
  let chunk: Rec[] = []
  let n = 0
  for (const s of slots) {
    if (per === 0) per = chunkRecords(s.recs[0])
    for (const r of s.recs) chunk.push(r)
    if (chunk.length >= per) {
      fire(store.put(chunk, [0, n++]))
      chunk = []
    }
  }
  if (chunk.length > 0) fire(store.put(chunk, [0, n++]))
  return n
}

/** Snapshot chunks per request of {@link readImage} (the next requested before these are built). */
const CHUNKS_PER_READ = 8
/** Delta rows per request. */
const DELTAS_PER_READ = 4096

/**
 * Reads a table's image: every key's records of the snapshot to `out`, then every delta's (a key
 * already handed over comes again with its new records, `[]` when deleted). Records are adopted
 * (frozen in place). Resolves with the number of deltas read.
 */
export async function readImage(store: Store, def: TableDef, out: (key: Key, recs: Rec[]) => void): Promise<number> {
  const grouper = new RowGrouper(def, out)
  await store.readChunks(
    CHUNKS_PER_READ,
    (rows) => {
      for (const c of rows) grouper.push(c as unknown[])
    },
    SNAPSHOT,
  )
  grouper.end()
  let deltas = 0
  await store.readChunks(
    DELTAS_PER_READ,
    (rows) => {
      for (const row of rows) {
        const [key, recs] = row as [Key, Record<string, unknown>[]]
        out(key, recs.map(adoptRecord))
        deltas++
      }
    },
    DELTAS,
  )
  return deltas
}

/** Every key's records of an image, collected (a schema change reading a table it rewrites). */
export async function imageSlots(store: Store, def: TableDef): Promise<{ key: Key; recs: Rec[] }[]> {
  const slots = new KeyMap<{ key: Key; recs: Rec[] }>()
  await readImage(store, def, (key, recs) => {
    if (recs.length === 0) slots.delete(key)
    else slots.set(key, { key, recs })
  })
  return [...slots.values()]
}
