/**
 * The saga log: three tables of the node, created on first use (disc_copies, `localContent`: a
 * saga runs on the node where it started), written only through transactions of the public API.
 *
 * ```
 *  webnesia_saga         set, index on name — one row per saga
 *  ┌────────┬──────┬─────────────────────────────────────────────┬───────┬────────┬─────────┬───────┬───────┬───────┬───────┬─────┬─────────┬─────────┐
 *  │ id     │ name │ status                                      │ input │ step   │ attempt │results│ error │ stuck │ owner │lease│ seq     │ created │ updated
 *  │ string │      │ running|compensating|completed|compensated| │ value │ index  │ failures│ {step:│{step, │{step, │ claim │ ms  │ events  │ ms      │ ms
 *  │        │      │ stuck                                       │       │ (*)    │ so far  │ value}│reason}│reason}│ token │     │ written │         │
 *  └────────┴──────┴─────────────────────────────────────────────┴───────┴────────┴─────────┴───────┴───────┴───────┴───────┴─────┴─────────┴─────────┘
 *  (*) running: the step to run; compensating: the step to compensate; completed/compensated: as it ended
 *
 *  webnesia_saga_log     ordered_set — one row per step event, key [id, seq] (seq from the saga row)
 *    kind: step_started | step_succeeded | step_failed | compensation_started | compensation_succeeded |
 *          compensation_failed | resumed | completed | compensated | stuck;   step, attempt, at, error?
 *
 *  webnesia_saga_effect  set — the journal of ctx.transaction, key [id, phase (0 run, 1 compensate), step, n]
 *    value: what the n-th ctx.transaction of that step returned, committed with its writes
 * ```
 * Every change to a saga row and its events is one transaction; so is each ctx.transaction with its
 * journal entry. A reason is stored as a plain value: an Error becomes `{ name, message, code? }`.
 * Format version 1 (the row's attributes above); a later format adds attributes, never renames them.
 *
 * @module
 */
import { TableExistsError, WebnesiaError } from '../errors.js'
import type { TableEvent } from '../events/subscriptions.js'
import type { TableOptions } from '../schema/table-def.js'
import { importRecord } from '../storage/record.js'
import type { Key } from '../storage/term.js'
import type { Row, Transaction } from '../txn/transaction.js'

/** The saga table. */
export const SAGA = 'webnesia_saga'
/** The step event table. */
export const SAGA_LOG = 'webnesia_saga_log'
/** The ctx.transaction journal. */
export const SAGA_EFFECT = 'webnesia_saga_effect'

/** A saga's status (API.md). */
export type SagaStatus = 'running' | 'compensating' | 'completed' | 'compensated' | 'stuck'

/** A step event's kind. */
export type SagaEventKind =
  | 'step_started'
  | 'step_succeeded'
  | 'step_failed'
  | 'compensation_started'
  | 'compensation_succeeded'
  | 'compensation_failed'
  | 'resumed'
  | 'completed'
  | 'compensated'
  | 'stuck'

/** Where a failure happened and why. */
export interface SagaFailure {
  /** The step (or compensation) that failed. */
  readonly step: string
  /** What it threw: a plain value, or `{ name, message, code? }` for an Error. */
  readonly reason: unknown
}

/** A saga row. */
export interface SagaRow {
  readonly id: string
  readonly name: string
  readonly status: SagaStatus
  readonly input?: unknown
  readonly step: number
  readonly attempt: number
  readonly results: Readonly<Record<string, unknown>>
  readonly error?: SagaFailure
  readonly stuck?: SagaFailure
  readonly owner: string | null
  readonly lease: number
  readonly seq: number
  readonly created: number
  readonly updated: number
}

/** A step event, as `history(id)` returns it. */
export interface SagaEvent {
  /** Its place in the saga's history: increasing with each event of the saga. */
  readonly seq: number
  /** What happened (started, succeeded, failed, compensated, resumed, …). */
  readonly kind: SagaEventKind
  /** The step's name ('' for saga-level events). */
  readonly step: string
  /** 1-based attempt of a step event (0 for saga-level events). */
  readonly attempt: number
  /** Date.now() when it was recorded. */
  readonly at: number
  /** The failure's stored reason (failed events). */
  readonly error?: unknown
}

/** The narrow part of the Database the saga layer stands on: the public API only (DESIGN.md, decision 9). */
export interface SagaDb {
  transaction<T>(fn: (t: Transaction) => Promise<T> | T): Promise<T>
  createTable(name: string, opts: TableOptions): Promise<void>
  waitForTables(tables: readonly string[], timeoutMs?: number): Promise<void>
  dirtyRead<T extends Row = Row>(tab: string, key: Key): Promise<T[]>
  dirtyIndexRead<T extends Row = Row>(tab: string, value: unknown, attr: string): Promise<T[]>
  dirtyMatchObject<T extends Row = Row>(tab: string, pattern: Row): Promise<T[]>
  subscribe(spec: { table: string; detail?: 'simple' }, fn: (ev: TableEvent) => void): () => void
}

const TABLES: readonly [string, TableOptions][] = [
  [
    SAGA,
    {
      attributes: ['id', 'name', 'status', 'input', 'step', 'attempt', 'results', 'error', 'stuck', 'owner', 'lease', 'seq', 'created', 'updated'],
      index: ['name'],
      localContent: true,
    },
  ],
  [SAGA_LOG, { attributes: ['key', 'kind', 'step', 'attempt', 'at', 'error'], type: 'ordered_set', localContent: true }],
  [SAGA_EFFECT, { attributes: ['key', 'value'], localContent: true }],
]

/** Creates the saga tables unless they exist (another tab may be creating them at the same time). */
export async function ensureTables(db: SagaDb): Promise<void> {
  for (const [name, opts] of TABLES) {
    try {
      await db.createTable(name, { storage: 'disc_copies', ...opts })
    } catch (e) {
      if (!(e instanceof TableExistsError)) throw e
    }
  }
  await db.waitForTables(TABLES.map(([n]) => n))
}

/** True for the statuses a saga ends in. */
export function isTerminal(status: SagaStatus): boolean {
  return status === 'completed' || status === 'compensated' || status === 'stuck'
}

/**
 * Checks that `v` can be stored in a record (a webnesia value, or undefined).
 * @throws BadRecordError
 */
export function checkValue(what: string, v: unknown): void {
  if (v === undefined) return
  importRecord({ name: what, attributes: ['k', 'v'] }, { k: 0, v })
}

/** The stored form of a failure reason: itself when it is a webnesia value, else a plain description. */
export function storedReason(reason: unknown): unknown {
  if (reason instanceof Error) {
    const code = reason instanceof WebnesiaError ? reason.code : (reason as { code?: unknown }).code
    return typeof code === 'string' ? { name: reason.name, message: reason.message, code } : { name: reason.name, message: reason.message }
  }
  try {
    checkValue('saga reason', reason)
    return reason
  } catch {
    return String(reason)
  }
}

/** A one-line description of a reason, for messages and the `saga_stuck` event. */
export function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  if (typeof reason === 'object' && reason !== null && typeof (reason as { message?: unknown }).message === 'string') {
    return (reason as { message: string }).message
  }
  return typeof reason === 'string' ? reason : JSON.stringify(reason) ?? String(reason)
}

/** Appends event number `seq` of saga `id` inside `t`; returns the seq to store in the row next. */
export async function logEvent(
  t: Transaction,
  id: string,
  seq: number,
  kind: SagaEventKind,
  step: string,
  attempt: number,
  error?: unknown,
): Promise<number> {
  const rec: Record<string, unknown> = { key: [id, seq], kind, step, attempt, at: Date.now() }
  if (error !== undefined) rec['error'] = storedReason(error)
  await t.write(SAGA_LOG, rec)
  return seq + 1
}

/** Reads the step events of saga `id`, in order. */
export async function readHistory(db: SagaDb, id: string): Promise<SagaEvent[]> {
  const rows = await db.dirtyMatchObject(SAGA_LOG, { key: [id, '_'] })
  return rows.map((r) => {
    const key = r['key'] as [string, number]
    const ev: SagaEvent = {
      seq: key[1],
      kind: r['kind'] as SagaEventKind,
      step: r['step'] as string,
      attempt: r['attempt'] as number,
      at: r['at'] as number,
      ...(r['error'] !== undefined ? { error: r['error'] } : {}),
    }
    return ev
  })
}
