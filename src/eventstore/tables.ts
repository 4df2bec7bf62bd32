/**
 * The event store's tables: names, definitions, record shapes, and their creation on first use.
 *
 * Everything lives in ordinary webnesia tables of the node (DESIGN.md decision 9): one replicated
 * table holds the events themselves, and local tables (`localContent`) hold what is particular
 * to this node: the order in which events reached it (positions), the versions, the stream heads,
 * snapshots and projection checkpoints.
 *
 * ```
 *  es:event       ordered_set, replicated   id = [stream, lamport, node]
 *                 { id, type, data, meta, at, prev }      prev = the id this event was appended after (or null)
 *  es:stream      set, local                stream → { stream, version, last, conflicts, conflictAt }
 *  es:version     ordered_set, local        sv = [stream, version] → { sv, id, seq }
 *  es:log         ordered_set, local        seq (the event's position on this node) → { seq, id, v }
 *  es:snapshot    set, local                key = [aggregate, id] → { key, version, last, state, schema }
 *  es:checkpoint  set, local                name (projection) → { name, position, owner, until, tables }
 * ```
 *
 * - **Ids never collide across nodes.** An event's key names the node that appended it, and a
 *   node gives its events of one stream strictly increasing Lamport numbers (one more than the
 *   stream's last event it knows), so two nodes appending while apart write different keys and
 *   the replicator (a CRDT keyed by record key) keeps both.
 * - **Stream order is the key order** of `es:event`: by (lamport, node id), the same on every
 *   node. A stream's version of an event is its rank in that order, 1..n, kept in `es:version`
 *   (and in `es:log.v`); a late event from a peer that sorts before events already here shifts the
 *   versions after it (`ingest.ts`).
 * - **Positions are this node's arrival order**: 1, 2, 3, … with no gaps, assigned in the same
 *   transaction that makes an event part of the store here (a local append, or the ingest of a
 *   peer's event). A late event gets the next position, so subscriptions and projections, which
 *   go by position, always see it after their checkpoint. Positions differ between nodes.
 * - **Both reads are walks of consecutive keys**: a stream from version v reads `[stream, v]`,
 *   `[stream, v + 1]`, … of `es:version` (the stream is the key prefix `[stream]` of an
 *   ordered_set); from position p reads `p + 1`, `p + 2`, … of `es:log` (ordered_set). Each step
 *   is a B+ tree lookup, never a scan of the table.
 *
 * Format version 1. Changing an attribute list of `es:event` splits a cluster (a node with
 * another definition cannot merge its events): bump {@link FORMAT} and migrate.
 *
 * @module
 */
import { NoSuchTableError, TableExistsError } from '../errors.js'
import type { Database } from '../db.js'
import type { TableOptions } from '../schema/table-def.js'
import type { Key } from '../storage/term.js'
import { CHECKPOINT, EVENT, LOG, SNAPSHOT, STREAM, VERSION } from './names.js'

/** On-disc format of the event store tables. */
export const FORMAT = 1

export { EVENT, STREAM, VERSION, LOG, SNAPSHOT, CHECKPOINT } from './names.js'

/** An event's id: `[stream, lamport, node]`. */
export type EventId = [string, number, string]

/** A row of `es:event` (replicated). */
export interface EventRow {
  id: EventId
  type: string
  data: unknown
  meta: unknown
  at: number
  prev: EventId | null
}

/** A row of `es:stream` (local): the stream's head on this node. */
export interface StreamRow {
  stream: string
  version: number
  last: EventId | null
  /** How many times a late event shifted versions or broke an expected order here. */
  conflicts: number
  /** The first version the last conflict affected. */
  conflictAt: number
}

/** A row of `es:version` (local). */
export interface VersionRow {
  sv: [string, number]
  id: EventId
  seq: number
}

/** A row of `es:log` (local). */
export interface LogRow {
  seq: number
  id: EventId
  v: number
}

/** A row of `es:snapshot` (local). */
export interface SnapshotRow {
  key: [string, string]
  version: number
  last: EventId
  state: unknown
  schema: number
}

/** A row of `es:checkpoint` (local). */
export interface CheckpointRow {
  name: string
  position: number
  owner: string
  until: number
  tables: string[]
}

const DEFS: readonly [string, TableOptions][] = [
  [EVENT, { attributes: ['id', 'type', 'data', 'meta', 'at', 'prev'], type: 'ordered_set' }],
  [STREAM, { attributes: ['stream', 'version', 'last', 'conflicts', 'conflictAt'], localContent: true }],
  [VERSION, { attributes: ['sv', 'id', 'seq'], type: 'ordered_set', localContent: true }],
  [LOG, { attributes: ['seq', 'id', 'v'], type: 'ordered_set', localContent: true }],
  [SNAPSHOT, { attributes: ['key', 'version', 'last', 'state', 'schema'], localContent: true }],
  [CHECKPOINT, { attributes: ['name', 'position', 'owner', 'until', 'tables'], localContent: true }],
]

/** True when the table exists in this tab's catalog. */
export function hasTable(db: Database, name: string): boolean {
  try {
    db.tableInfo(name, 'type')
    return true
  } catch (e) {
    if (e instanceof NoSuchTableError) return false
    throw e
  }
}

/**
 * Creates the tables that do not exist yet. Another tab (or the replicator, for `es:event`) may
 * create one at the same time: `already_exists` is fine.
 */
export async function ensureTables(db: Database): Promise<void> {
  for (const [name, opts] of DEFS) {
    if (hasTable(db, name)) continue
    try {
      await db.createTable(name, opts)
    } catch (e) {
      if (!(e instanceof TableExistsError)) throw e
    }
  }
}

/** The event id's parts. */
export function streamOf(id: EventId): string {
  return id[0]
}

/** True when two ids (or nulls) are the same. */
export function sameId(a: Key | null | undefined, b: Key | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null)
  const x = a as EventId
  const y = b as EventId
  return x[0] === y[0] && x[1] === y[1] && x[2] === y[2]
}
