/**
 * The error taxonomy of webnesia.
 *
 * Every error the library raises is a {@link WebnesiaError} with a `code`: Mnesia's reason where
 * Mnesia has one (`no_exists`, `already_exists`, `bad_type`, `badarg`, `aborted`, ...). Data travels
 * in properties, the underlying DOMException (if any) in `cause`. {@link mapStorageError} is the one
 * place where IndexedDB failures become typed errors.
 *
 * @module
 */

/** Codes carried by {@link WebnesiaError.code}. */
export type ErrorCode =
  | 'aborted'
  | 'no_exists'
  | 'already_exists'
  | 'bad_type'
  | 'bad_key'
  | 'badarg'
  | 'quota'
  | 'closed'
  | 'combine_error'
  | 'timeout'
  | 'storage'
  | 'not_supported'
  | 'bad_update'
  | 'saga_failed'
  | 'saga_abort'
  | 'locked'
  | 'wrong_expected_version'
  | 'too_many_attempts'
  | 'primary_unavailable'

/** Base class of every error raised by webnesia. */
export class WebnesiaError extends Error {
  /** Mnesia-style reason code. */
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/**
 * A transaction did not commit. `reason` is exactly what the function threw or passed to
 * `t.abort(reason)`, the operation's own {@link WebnesiaError}, or `'conflict'` when retries ran out.
 */
export class TransactionAbortedError extends WebnesiaError {
  /** Why: the value thrown or passed to `t.abort`, the operation's own error, or `'conflict'`. */
  readonly reason: unknown
  constructor(reason: unknown, options?: { cause?: unknown }) {
    super('aborted', `transaction aborted: ${describeReason(reason)}`, options)
    this.reason = reason
  }
}

/** The table (or index, or node) does not exist. */
export class NoSuchTableError extends WebnesiaError {
  /** The name that was not found (a table, or the index / node named in the message). */
  readonly table: string
  constructor(table: string, message = `no such table: ${table}`) {
    super('no_exists', message)
    this.table = table
  }
}

/** The table (or index) already exists. */
export class TableExistsError extends WebnesiaError {
  /** The table that exists already. */
  readonly table: string
  constructor(table: string, message = `table already exists: ${table}`) {
    super('already_exists', message)
    this.table = table
  }
}

/** A record (or a table definition) is not acceptable: unknown attribute, missing key, unclonable value. */
export class BadRecordError extends WebnesiaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad_type', message, options)
  }
}

/** A key is not a valid IndexedDB key. */
export class BadKeyError extends WebnesiaError {
  /** The key that was refused. */
  readonly key: unknown
  constructor(key: unknown, message = `invalid key: ${safeString(key)}`) {
    super('bad_key', message)
    this.key = key
  }
}

/** A pattern or match specification is malformed. */
export class BadMatchSpecError extends WebnesiaError {
  constructor(message: string) {
    super('badarg', message)
  }
}

/** IndexedDB refused the commit for lack of space. */
export class StorageFullError extends WebnesiaError {
  constructor(options?: { cause?: unknown }) {
    super('quota', 'storage quota exceeded', options)
  }
}

/** The database handle was closed. */
export class DatabaseClosedError extends WebnesiaError {
  constructor() {
    super('closed', 'database is closed')
  }
}

/**
 * A saga failed for good (API.md, "Sagas"): its step `step` failed (after its retries, or at once
 * with a {@link SagaAbortError}), and the saga ended `status`: `'compensated'` (every completed step
 * was undone, in reverse order) or `'stuck'` (a compensation ran out of retries; a person must look).
 * `reason` is what the step threw (in the tab that ran it; elsewhere its stored form: a plain
 * value, or `{ name, message, code? }` for an Error).
 */
export class SagaFailedError extends WebnesiaError {
  /** The saga's id. */
  readonly id: string
  /** The name of the step that failed. */
  readonly step: string
  /** What the step threw (its stored form when another tab ran it). */
  readonly reason: unknown
  /** How the saga ended: every completed step undone, or a compensation out of retries. */
  readonly status: 'compensated' | 'stuck'
  constructor(id: string, step: string, reason: unknown, status: 'compensated' | 'stuck') {
    super('saga_failed', `saga ${id} failed at step ${JSON.stringify(step)} (${status}): ${describeReason(reason)}`)
    this.id = id
    this.step = step
    this.reason = reason
    this.status = status
  }
}

/**
 * Thrown by a saga step (or a compensation) to say its failure is final: no retries. A step that
 * throws it is not run again and the saga compensates at once; a compensation that throws it leaves
 * the saga `'stuck'` at once. `reason` becomes the saga's failure reason.
 *
 * @example
 * run: async (ctx, order) => {
 *   const res = await pay(order, ctx.idempotencyKey)
 *   if (res.declined) throw new SagaAbortError('card declined')   // retrying cannot help
 *   return res.id
 * }
 */
export class SagaAbortError extends WebnesiaError {
  /** The failure reason recorded for the saga. */
  readonly reason: unknown
  constructor(reason: unknown) {
    super('saga_abort', `saga step failed for good: ${describeReason(reason)}`)
    this.reason = reason
  }
}

/** A saga definition or its options are malformed (code `'badarg'`); nothing was declared. */
export class BadSagaError extends WebnesiaError {
  /** The name of the saga definition at fault. */
  readonly saga: string
  constructor(saga: string, message: string) {
    super('badarg', `saga ${JSON.stringify(saga)}: ${message}`)
    this.saga = saga
  }
}

/**
 * An append's `expectedVersion` did not match the stream's version on this node: nothing was
 * appended (event store, `src/eventstore/store.ts`).
 */
export class WrongExpectedVersionError extends WebnesiaError {
  /** The stream the append was for. */
  readonly stream: string
  /** What the append expected: a version, `'no_stream'` or `'stream_exists'`. */
  readonly expected: number | 'no_stream' | 'stream_exists'
  /** The stream's version when the append ran (0: no stream). */
  readonly actual: number
  constructor(stream: string, expected: number | 'no_stream' | 'stream_exists', actual: number) {
    super('wrong_expected_version', `${stream}: expected version ${String(expected)}, the stream is at ${String(actual)}`)
    this.stream = stream
    this.expected = expected
    this.actual = actual
  }
}

/**
 * A command kept meeting concurrent appends to its aggregate's stream and ran out of attempts
 * (Commanded's `:too_many_attempts`): nothing of it was appended.
 */
export class TooManyAttemptsError extends WebnesiaError {
  /** The aggregate's name (its definition). */
  readonly aggregate: string
  /** The aggregate instance (its stream is `<aggregate>-<id>`). */
  readonly id: string
  /** How many times the command was tried. */
  readonly attempts: number
  constructor(aggregate: string, id: string, attempts: number, options?: { cause?: unknown }) {
    super('too_many_attempts', `${aggregate} ${id}: the stream moved under every one of ${String(attempts)} attempts`, options)
    this.aggregate = aggregate
    this.id = id
    this.attempts = attempts
  }
}

/**
 * A transaction writes a primary table (`db.setPrimary`) and its primary node cannot be reached:
 * nothing was committed, unless `unknownOutcome` is true (the request reached the primary's link
 * and no answer came back in time: the primary may have committed it). `table` is the primary
 * table, `primary` the node holding its role (undefined: no node of the table is known).
 */
export class PrimaryUnavailableError extends WebnesiaError {
  /** The primary table the transaction wrote. */
  readonly table: string
  /** The node holding the table's primary role, or undefined when no node of it is known. */
  readonly primary: string | undefined
  /** True when the request may have been committed by the primary (it went out, no answer came). */
  readonly unknownOutcome: boolean
  constructor(table: string, primary: string | undefined, message: string, unknownOutcome = false) {
    super('primary_unavailable', `${table}: ${message}`)
    this.table = table
    this.primary = primary
    this.unknownOutcome = unknownOutcome
  }
}

/** Turns an IndexedDB failure (DOMException or anything else) into a {@link WebnesiaError}. */
export function mapStorageError(err: unknown): WebnesiaError {
  if (err instanceof WebnesiaError) return err
  const name = (err as { name?: unknown } | null)?.name
  if (name === 'QuotaExceededError') return new StorageFullError({ cause: err })
  const message = (err as { message?: unknown } | null)?.message
  return new WebnesiaError('storage', `storage failure: ${typeof name === 'string' ? name : ''} ${typeof message === 'string' ? message : ''}`.trim(), {
    cause: err,
  })
}

/** Internal invariant check. */
export function assert(cond: unknown, message = 'assertion failed'): asserts cond {
  if (!cond) throw new Error(`webnesia internal error: ${message}`)
}

/** Marks a branch the types say cannot be reached. */
export function unexpectedCase(value: never): never {
  throw new Error(`webnesia internal error: unexpected case ${safeString(value)}`)
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  return safeString(reason)
}

/** A short printable form of any value, for messages. Never throws. */
export function safeString(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value)
    if (typeof value === 'function') return '[function]'
    if (value instanceof Date) return `Date(${String(value.getTime())})`
    const json = JSON.stringify(value)
    if (json === undefined) return String(value)
    return json.length > 80 ? `${json.slice(0, 77)}...` : json
  } catch {
    try {
      return Object.prototype.toString.call(value)
    } catch {
      return '[unprintable value]' // a Proxy whose traps throw
    }
  }
}

/** A rejected promise carrying what a synchronous check threw (always an Error here). */
export function rejected(e: unknown): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrowing as is
  return Promise.reject(e)
}
