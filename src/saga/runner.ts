/**
 * Runs one saga that this tab has claimed, from wherever its row says it is, to its end or until
 * the tab loses it.
 *
 * ```
 *  running:       step k ──ok──► record result, step_started(k+1)   (one transaction)   ──► … completed
 *                   │ throws
 *                   ├─ retries left ─► step_failed(n); wait backoff(n); step_started(n+1); run again
 *                   └─ final ───────► step_failed; status compensating at the last completed step
 *  compensating:  compensate j ──ok──► compensation_succeeded; next lower j  ──► … compensated
 *                   │ throws
 *                   ├─ retries left ─► compensation_failed(n); wait; run again
 *                   └─ final ───────► status stuck + system event saga_stuck
 * ```
 * Each arrow is one fenced transaction (claim.ts): a step's start is durable before the step runs,
 * its outcome before the next one starts, and a tab that lost its claim commits nothing. Steps
 * without `compensate` are skipped when compensating; the failing step itself is not compensated
 * (it did not complete: its ctx.transaction writes, if any, stay journalled for a retry).
 *
 * A run is raced against the runner's stop (close, lost claim) and the step's timeout: the runner
 * never waits for a step promise that does not settle. An abandoned run's ctx.transaction commits
 * nothing: it is fenced by owner, step and attempt.
 *
 * @module
 */
import { SagaAbortError, TransactionAbortedError, WebnesiaError } from '../errors.js'
import type { SystemEvent } from '../events/subscriptions.js'
import type { Transaction } from '../txn/transaction.js'
import { Deposed, fence, isDeposed, renew } from './claim.js'
import { backoffDelay, failureReason, isFinal, type SagaContext, type SagaDefinition } from './definition.js'
import { SAGA, SAGA_EFFECT, checkValue, logEvent, reasonText, storedReason, type SagaDb, type SagaRow } from './log.js'

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown } | null

/** A run of a step that is no longer the current one (a timed-out or abandoned attempt). */
class Stale {}


/** Runs one claimed saga. */
export class SagaRunner {
  /** What the step that made the saga fail threw, as this tab saw it (for start()'s rejection). */
  failure: unknown = undefined
  private stopped = false
  private readonly stopSignal = new AbortController()
  private heartbeat: ReturnType<typeof setInterval> | undefined
  /** Whether the current step's start is recorded already (by the transaction that moved there). */
  private startRecorded: boolean

  constructor(
    private readonly def: SagaDefinition,
    private readonly db: SagaDb,
    private readonly row0: SagaRow,
    private readonly token: string,
    private readonly emit: (ev: SystemEvent) => void,
    startRecorded: boolean,
  ) {
    this.startRecorded = startRecorded
  }

  /** The saga id. */
  get id(): string {
    return this.row0.id
  }

  /** Runs to the end, or until stopped; never rejects (a failing transaction abandons the saga to its lease). */
  async run(): Promise<void> {
    const every = this.def.leaseMs / 4
    let renewing = false
    this.heartbeat = setInterval(() => {
      if (renewing || this.stopped) return
      renewing = true
      renew(this.db, this.id, this.token, this.def.leaseMs)
        .then((mine) => {
          if (!mine) this.halt()
        })
        .catch(() => undefined)
        .finally(() => (renewing = false))
    }, every)
    try {
      let row: SagaRow | null = this.row0
      while (row && !this.stopped) {
        if (row.status === 'running') row = await this.step(row)
        else if (row.status === 'compensating') row = await this.compensate(row)
        else break
      }
    } catch {
      // Closed, or storage failed: abandon the saga as a dead tab would; its lease runs out and a
      // scan (this tab's or another's) resumes it.
    } finally {
      this.halt()
    }
  }

  /** Stops this runner now: the current step's run is abandoned (its signal aborts). */
  halt(): void {
    if (this.stopped) return
    this.stopped = true
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat)
    this.stopSignal.abort()
  }

  /** One fenced transaction on this saga: `fn` gets the row and returns the row to store. Null when deposed. */
  private async commit(fn: (t: Transaction, row: SagaRow) => Promise<SagaRow>): Promise<SagaRow | null> {
    if (this.stopped) return null
    try {
      return await this.db.transaction(async (t) => {
        const row = await fence(t, this.id, this.token)
        const next = { ...(await fn(t, row)), lease: Date.now() + this.def.leaseMs, updated: Date.now() }
        await t.write(SAGA, next)
        return next
      })
    } catch (e) {
      if (!isDeposed(e)) throw e
      this.halt()
      return null
    }
  }

  private async step(row: SagaRow): Promise<SagaRow | null> {
    const k = row.step
    const step = this.def.steps[k]
    if (!step) return this.commit(async (t, r) => ({ ...r, status: 'completed', seq: await logEvent(t, r.id, r.seq, 'completed', '', 0) }))
    const attempt = row.attempt + 1
    if (!this.startRecorded) {
      const r = await this.commit(async (t, r) => ({ ...r, seq: await logEvent(t, r.id, r.seq, 'step_started', step.name, attempt) }))
      if (!r) return null
      row = r
    }
    const prevStep = this.def.steps[k - 1]
    const prev = prevStep ? row.results[prevStep.name] : undefined
    const out = await this.attempt(row, 0, attempt, (ctx) => step.run(ctx, row.input, prev), step.timeoutMs)
    if (!out) return null
    if (out.ok) {
      this.startRecorded = true
      return this.commit(async (t, r) => {
        const results = { ...r.results, [step.name]: out.value }
        let seq = await logEvent(t, r.id, r.seq, 'step_succeeded', step.name, attempt)
        const next = this.def.steps[k + 1]
        if (!next) return { ...r, status: 'completed', results, attempt: 0, seq: await logEvent(t, r.id, seq, 'completed', '', 0) }
        seq = await logEvent(t, r.id, seq, 'step_started', next.name, 1)
        return { ...r, step: k + 1, attempt: 0, results, seq }
      })
    }
    if (!isFinal(this.def, out.error) && attempt <= this.def.retries) return this.retry(row, step.name, attempt, out.error, 'step_failed')
    this.failure = failureReason(out.error)
    const j = this.compensable(k - 1)
    this.startRecorded = true
    return this.commit(async (t, r) => {
      const error = { step: step.name, reason: storedReason(this.failure) }
      let seq = await logEvent(t, r.id, r.seq, 'step_failed', step.name, attempt, this.failure)
      const at = this.def.steps[j]
      if (!at) return { ...r, status: 'compensated', error, attempt: 0, seq: await logEvent(t, r.id, seq, 'compensated', '', 0) }
      seq = await logEvent(t, r.id, seq, 'compensation_started', at.name, 1)
      return { ...r, status: 'compensating', step: j, attempt: 0, error, seq }
    })
  }

  private async compensate(row: SagaRow): Promise<SagaRow | null> {
    const k = row.step
    const step = this.def.steps[k]
    if (!step?.compensate) {
      // Not compensable (or a definition changed under a stored saga): go on with the next one down.
      const j = this.compensable(k - 1)
      return this.commit(async (t, r) =>
        this.def.steps[j] ? { ...r, step: j, attempt: 0 } : { ...r, status: 'compensated', seq: await logEvent(t, r.id, r.seq, 'compensated', '', 0) },
      )
    }
    const undo = step.compensate
    const attempt = row.attempt + 1
    if (!this.startRecorded) {
      const r = await this.commit(async (t, r) => ({ ...r, seq: await logEvent(t, r.id, r.seq, 'compensation_started', step.name, attempt) }))
      if (!r) return null
      row = r
    }
    const result = row.results[step.name]
    const out = await this.attempt(row, 1, attempt, (ctx) => undo(ctx, row.input, result), step.timeoutMs)
    if (!out) return null
    this.startRecorded = true
    if (out.ok) {
      const j = this.compensable(k - 1)
      return this.commit(async (t, r) => {
        const seq = await logEvent(t, r.id, r.seq, 'compensation_succeeded', step.name, attempt)
        const at = this.def.steps[j]
        if (!at) return { ...r, status: 'compensated', attempt: 0, seq: await logEvent(t, r.id, seq, 'compensated', '', 0) }
        return { ...r, step: j, attempt: 0, seq: await logEvent(t, r.id, seq, 'compensation_started', at.name, 1) }
      })
    }
    if (!isFinal(this.def, out.error) && attempt <= this.def.retries) return this.retry(row, step.name, attempt, out.error, 'compensation_failed')
    const reason = failureReason(out.error)
    const r = await this.commit(async (t, r) => {
      const seq = await logEvent(t, r.id, r.seq, 'compensation_failed', step.name, attempt, reason)
      return { ...r, status: 'stuck', stuck: { step: step.name, reason: storedReason(reason) }, seq: await logEvent(t, r.id, seq, 'stuck', step.name, attempt) }
    })
    if (r) this.emit({ type: 'saga_stuck', saga: this.def.name, id: r.id, step: step.name, reason: reasonText(reason) })
    return r
  }

  /** Records a failed attempt that will be retried, waits the backoff, and hands the row back to run again. */
  private async retry(row: SagaRow, step: string, attempt: number, error: unknown, kind: 'step_failed' | 'compensation_failed'): Promise<SagaRow | null> {
    const r = await this.commit(async (t, r) => ({ ...r, attempt, seq: await logEvent(t, r.id, r.seq, kind, step, attempt, error) }))
    if (!r) return null
    this.startRecorded = false
    await this.sleep(backoffDelay(this.def, attempt))
    return this.stopped ? null : { ...row, ...r }
  }

  /** The highest step index ≤ j that has a compensation (-1 when none). */
  private compensable(j: number): number {
    while (j >= 0 && !this.def.steps[j]?.compensate) j--
    return j
  }

  /** Runs one attempt of a step (phase 0) or a compensation (phase 1); null when the runner stopped meanwhile. */
  private attempt(row: SagaRow, phase: 0 | 1, attempt: number, fn: (ctx: SagaContext) => unknown, stepTimeout?: number): Promise<Outcome> {
    const step = this.def.steps[row.step]?.name ?? ''
    const ctl = new AbortController()
    const ctx = this.context(row, phase, attempt, ctl.signal)
    const timeoutMs = stepTimeout ?? this.def.stepTimeoutMs
    return new Promise<Outcome>((resolve) => {
      let done = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const onStop = (): void => finish(null)
      const finish = (o: Outcome): void => {
        if (done) return
        done = true
        if (timer !== undefined) clearTimeout(timer)
        this.stopSignal.signal.removeEventListener('abort', onStop)
        if (o === null || !o.ok) ctl.abort() // the run is abandoned: tell it (its late writes are fenced off anyway)
        if (o?.ok) {
          try {
            checkValue(`result of step ${step}`, o.value)
          } catch (e) {
            resolve({ ok: false, error: new SagaAbortError(e) }) // a result that cannot be stored: final
            return
          }
        }
        resolve(o)
      }
      if (this.stopped) return finish(null)
      this.stopSignal.signal.addEventListener('abort', onStop)
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => finish({ ok: false, error: new WebnesiaError('timeout', `saga ${this.def.name}: step ${step} timed out after ${String(timeoutMs)} ms`) }), timeoutMs)
      }
      try {
        Promise.resolve(fn(ctx)).then(
          (value) => finish({ ok: true, value }),
          (error: unknown) => finish({ ok: false, error }),
        )
      } catch (error) {
        finish({ ok: false, error })
      }
    })
  }

  private context(row: SagaRow, phase: 0 | 1, attempt: number, signal: AbortSignal): SagaContext {
    const k = row.step
    const step = this.def.steps[k]?.name ?? ''
    const status = phase === 0 ? 'running' : 'compensating'
    let n = 0
    return {
      id: row.id,
      saga: this.def.name,
      step,
      attempt,
      idempotencyKey: phase === 0 ? `${row.id}:${step}` : `${row.id}:${step}:compensate`,
      signal,
      transaction: async <T>(fn: (t: Transaction) => Promise<T> | T): Promise<T> => {
        const key = [row.id, phase, k, n++]
        try {
          return await this.db.transaction(async (t) => {
            const r = await fence(t, row.id, this.token)
            if (r.status !== status || r.step !== k || r.attempt !== attempt - 1) t.abort(new Stale())
            const [fx] = await t.read(SAGA_EFFECT, key)
            if (fx) return fx['value'] as T
            const v = await fn(t)
            await t.write(SAGA_EFFECT, v === undefined ? { key } : { key, value: v })
            return v
          })
        } catch (e) {
          if (isDeposed(e)) this.halt()
          if (e instanceof TransactionAbortedError && (e.reason instanceof Deposed || e.reason instanceof Stale)) {
            throw new TransactionAbortedError('saga_deposed', { cause: e })
          }
          throw e
        }
      },
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve()
      const timer = setTimeout(done, ms)
      this.stopSignal.signal.addEventListener('abort', done, { once: true })
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
    })
  }
}
