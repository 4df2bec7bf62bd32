/**
 * A saga's definition: its steps, its options and their validation, and the retry delay.
 *
 * A definition is checked whole when it is declared (`db.saga(name, steps, options)`): a bad one
 * is a {@link BadSagaError} and nothing is declared or written. Unknown keys in a step or in the
 * options are errors too (a misspelt `compensation:` would otherwise silently drop an undo).
 *
 * Failure policy (API.md, "Sagas"):
 * - A step that throws is retried up to `retries` times (so it runs at most `retries + 1` times),
 *   after a delay of `min(backoff.maxMs, backoff.baseMs * 2^(n-1))` for the n-th failure, with
 *   "equal jitter" (a uniform pick in the upper half of that delay), so tabs retrying one remote
 *   service do not beat in step.
 * - A failure is final (no retries) when the step throws a {@link SagaAbortError}, or when the
 *   `retryable(err)` option returns false for it. A step's `timeoutMs` (or the saga's `stepTimeoutMs`)
 *   turns a step that never settles into a retryable failure (code `'timeout'`).
 * - Compensations follow the same policy with the same `retries`; one that fails for good leaves the
 *   saga `'stuck'` (and a `saga_stuck` system event).
 *
 * @module
 */
import { BadSagaError, SagaAbortError, TransactionAbortedError } from '../errors.js'
import type { Transaction } from '../txn/transaction.js'

/** What a step gets besides its input: who it is, and the way to write locally exactly once. */
export interface SagaContext {
  /** The saga id. */
  readonly id: string
  /** The saga's definition name. */
  readonly saga: string
  /** The step's name. */
  readonly step: string
  /** 1 for the first run of this step (or compensation), 2 for its first retry, … (kept across tabs). */
  readonly attempt: number
  /**
   * Stable per saga id and step (`<id>:<step>`; `<id>:<step>:compensate` in a compensation): the
   * same on every retry and in every tab that resumes the saga. Send it with remote calls, so a
   * call repeated after a crash is recognised by the service (at-least-once + idempotency = once).
   */
  readonly idempotencyKey: string
  /** Aborted when this run is abandoned: the tab lost the saga (lease), closed, or the step timed out. */
  readonly signal: AbortSignal
  /**
   * Runs `fn` as a transaction of the node that also journals its value under this step: once it
   * committed, a re-run of the step (a retry, or another tab resuming the saga after a crash)
   * gets the journalled value back without running `fn` again, so a local effect happens exactly
   * once. Calls are matched by their order within the step: make them in the same order on every run.
   * Rejects (committing nothing) when this tab no longer owns the saga.
   * @throws TransactionAbortedError with reason `'saga_deposed'` when this tab no longer owns the saga
   * (its lease passed to another tab); otherwise as `db.transaction` (what `fn` threw is the reason)
   */
  transaction<T>(fn: (t: Transaction) => Promise<T> | T): Promise<T>
}

/** One step of a saga. */
export interface SagaStep<I = unknown> {
  /** Unique within the saga (not empty, not `__proto__`). */
  readonly name: string
  /** Does the step; its value (a webnesia value, or undefined) is the step's result. */
  readonly run: (ctx: SagaContext, input: I, prev: unknown) => unknown
  /** Undoes a completed step when a later one fails for good; gets the step's result. */
  readonly compensate?: (ctx: SagaContext, input: I, result: unknown) => unknown
  /** A run (or compensation) still pending after this long fails with code 'timeout' (retryable). */
  readonly timeoutMs?: number
}

/** Backoff between attempts. */
export interface BackoffOptions {
  /** Delay after the first failure, before jitter (default 50 ms). */
  readonly baseMs?: number
  /** Longest delay (default 5000 ms). */
  readonly maxMs?: number
}

/** Options of `db.saga`. */
export interface SagaOptions {
  /** Retries of a failing step, and of a failing compensation (default 3). */
  readonly retries?: number
  /** Delay between attempts (exponential, with jitter). */
  readonly backoff?: BackoffOptions
  /** Return false to make an error final (no retries). Default: every error but {@link SagaAbortError} is retried. */
  readonly retryable?: (err: unknown) => boolean
  /** Default `timeoutMs` of every step (default Infinity: a step may take as long as it likes). */
  readonly stepTimeoutMs?: number
  /**
   * How long a tab's claim on a running saga lasts without renewal (default 10000 ms). The tab
   * renews it every quarter of that while it runs the saga; a crashed or frozen tab's claim runs
   * out and another tab resumes the saga. Keep it well above a background tab's timer throttling (1 s).
   */
  readonly leaseMs?: number
}

/** A checked definition with every default filled in. */
export interface SagaDefinition<I = unknown> {
  readonly name: string
  readonly steps: readonly SagaStep<I>[]
  readonly retries: number
  readonly baseMs: number
  readonly maxMs: number
  readonly retryable: (err: unknown) => boolean
  readonly stepTimeoutMs: number
  readonly leaseMs: number
}

const STEP_KEYS = new Set(['name', 'run', 'compensate', 'timeoutMs'])
const OPTION_KEYS = new Set(['retries', 'backoff', 'retryable', 'stepTimeoutMs', 'leaseMs'])
const BACKOFF_KEYS = new Set(['baseMs', 'maxMs'])

/** Validates a definition. @throws BadSagaError */
export function defineSaga<I>(name: unknown, steps: unknown, options: unknown = {}): SagaDefinition<I> {
  if (typeof name !== 'string' || name.length === 0) throw new BadSagaError(String(name), 'the name must be a non-empty string')
  const bad = (m: string): BadSagaError => new BadSagaError(name, m)
  if (!Array.isArray(steps) || steps.length === 0) throw bad('steps must be a non-empty array')
  const seen = new Set<string>()
  const out: SagaStep<I>[] = []
  for (const [i, s] of (steps as unknown[]).entries()) {
    if (typeof s !== 'object' || s === null) throw bad(`step ${String(i)} must be an object`)
    const step = s as Record<string, unknown>
    for (const k of Object.keys(step)) if (!STEP_KEYS.has(k)) throw bad(`step ${String(i)}: unknown key ${JSON.stringify(k)}`)
    const n = step['name']
    if (typeof n !== 'string' || n.length === 0 || n === '__proto__') throw bad(`step ${String(i)}: the name must be a non-empty string`)
    if (seen.has(n)) throw bad(`duplicate step name ${JSON.stringify(n)}`)
    seen.add(n)
    if (typeof step['run'] !== 'function') throw bad(`step ${JSON.stringify(n)}: run must be a function`)
    if (step['compensate'] !== undefined && typeof step['compensate'] !== 'function') throw bad(`step ${JSON.stringify(n)}: compensate must be a function`)
    if (step['timeoutMs'] !== undefined) checkDuration(name, `step ${JSON.stringify(n)}: timeoutMs`, step['timeoutMs'], true)
    out.push(step as unknown as SagaStep<I>)
  }
  if (typeof options !== 'object' || options === null) throw bad('options must be an object')
  const o = options as Record<string, unknown>
  for (const k of Object.keys(o)) if (!OPTION_KEYS.has(k)) throw bad(`unknown option ${JSON.stringify(k)}`)
  const retries = o['retries'] ?? 3
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0) throw bad('retries must be a non-negative integer')
  const backoff = o['backoff'] ?? {}
  if (typeof backoff !== 'object' || backoff === null) throw bad('backoff must be an object')
  const b = backoff as Record<string, unknown>
  for (const k of Object.keys(b)) if (!BACKOFF_KEYS.has(k)) throw bad(`backoff: unknown key ${JSON.stringify(k)}`)
  const baseMs = checkDuration(name, 'backoff.baseMs', b['baseMs'] ?? 50, false, true)
  const maxMs = checkDuration(name, 'backoff.maxMs', b['maxMs'] ?? 5000, false, true)
  if (maxMs < baseMs) throw bad('backoff.maxMs must be at least backoff.baseMs')
  const retryable = o['retryable'] ?? (() => true)
  if (typeof retryable !== 'function') throw bad('retryable must be a function')
  const stepTimeoutMs = checkDuration(name, 'stepTimeoutMs', o['stepTimeoutMs'] ?? Infinity, true)
  const leaseMs = checkDuration(name, 'leaseMs', o['leaseMs'] ?? 10_000, false)
  if (leaseMs < 20) throw bad('leaseMs must be at least 20')
  return { name, steps: out, retries, baseMs, maxMs, retryable: retryable as (err: unknown) => boolean, stepTimeoutMs, leaseMs }
}

function checkDuration(saga: string, what: string, v: unknown, infinite: boolean, zero = false): number {
  const ok = typeof v === 'number' && !Number.isNaN(v) && (zero ? v >= 0 : v > 0) && (infinite || Number.isFinite(v))
  if (!ok) throw new BadSagaError(saga, `${what} must be a ${zero ? 'non-negative' : 'positive'}${infinite ? '' : ' finite'} number of milliseconds`)
  return v
}

/** The delay before the attempt after the `failures`-th failure (1-based): exponential, equal jitter. */
export function backoffDelay(def: Pick<SagaDefinition, 'baseMs' | 'maxMs'>, failures: number, random: () => number = Math.random): number {
  const d = Math.min(def.maxMs, def.baseMs * 2 ** Math.max(0, failures - 1))
  return d / 2 + random() * (d / 2)
}

/** True when `err` must not be retried: a {@link SagaAbortError} (also inside a ctx.transaction), or `retryable` says no. */
export function isFinal(def: Pick<SagaDefinition, 'retryable'>, err: unknown): boolean {
  if (err instanceof SagaAbortError) return true
  if (err instanceof TransactionAbortedError && err.reason instanceof SagaAbortError) return true
  try {
    return !def.retryable(err)
  } catch {
    return false
  }
}

/** What a final error stands for: a {@link SagaAbortError}'s reason, else the error itself. */
export function failureReason(err: unknown): unknown {
  if (err instanceof SagaAbortError) return err.reason
  if (err instanceof TransactionAbortedError && err.reason instanceof SagaAbortError) return err.reason.reason
  return err
}
