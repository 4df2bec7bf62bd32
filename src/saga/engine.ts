/**
 * The engine of a declared saga (behind `db.saga(name, steps, options)`'s {@link Saga}, loaded on
 * the first declaration): `start`, `status`, `list`, `history`, and the resumption of this definition's unfinished sagas that no live tab holds.
 *
 * Resumption: a tab that declares a saga scans the saga table for rows of this definition that are
 * unfinished and whose claim is empty or expired, claims each in a transaction (claim.ts: one tab
 * wins) and runs it from where its row says it is. It scans when the declaration is ready, every
 * `leaseMs`, and at the moment the soonest live claim it knows of would expire — learnt from the
 * scan and from `db.subscribe` on the saga table (another tab's commits renew or move claims).
 *
 * `start(input, { id })` writes the saga row, claimed by this tab, and its first `step_started` in
 * one transaction, then runs it here. It resolves or rejects when the row reaches its end —
 * whichever tab runs it by then (this tab may lose it, e.g. after being frozen past its lease).
 * Starting an id that exists already (an at-least-once caller retrying) attaches to that saga.
 *
 * @module
 */
import { BadSagaError, DatabaseClosedError, SagaFailedError, WebnesiaError } from '../errors.js'
import { claim, newToken } from './claim.js'
import type { SagaDefinition } from './definition.js'
import type { SagaHost } from './host.js'
import { SAGA, checkValue, isTerminal, logEvent, readHistory, type SagaEvent, type SagaRow, type SagaStatus } from './log.js'
import { SagaRunner } from './runner.js'
import type { SagaInfo, SagaOps, SagaResult, StartOptions } from './saga.js'

export { SagaHost } from './host.js'

const STATUSES: ReadonlySet<string> = new Set(['running', 'compensating', 'completed', 'compensated', 'stuck'])

interface Waiter {
  resolve(r: SagaResult): void
  reject(e: unknown): void
}

/** A declared saga of one tab (its public face is {@link Saga}). */
export class SagaEngine<I = unknown> implements SagaOps<I> {
  private readonly waiters = new Map<string, Set<Waiter>>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt = Infinity

  constructor(
    private readonly host: SagaHost,
    private readonly def: SagaDefinition<I>,
  ) {
    let off: (() => void) | undefined
    let every: ReturnType<typeof setInterval> | undefined
    host.onClose(() => {
      off?.()
      if (every !== undefined) clearInterval(every)
      if (this.timer !== undefined) clearTimeout(this.timer)
      for (const set of this.waiters.values()) for (const w of set) w.reject(new DatabaseClosedError())
      this.waiters.clear()
    })
    host
      .ready()
      .then(() => {
        if (host.closed) return
        off = host.db.subscribe({ table: SAGA }, (ev) => {
          if (ev.type === 'write' && ev.record['name'] === def.name) this.observe(ev.record as SagaRow & Record<string, unknown>)
        })
        every = setInterval(() => this.scan(), def.leaseMs)
        this.scan()
      })
      .catch(() => undefined) // closed meanwhile, or storage failed: start() reports it
  }

  /** The definition's name. */
  get name(): string {
    return this.def.name
  }

  /**
   * Starts a saga and resolves when it completed.
   *
   * @throws BadRecordError when `input` is not a webnesia value (nothing is written)
   * @throws BadSagaError when the options are malformed
   * @throws SagaFailedError when a step failed for good: `status` 'compensated' (undone) or 'stuck'
   * @throws DatabaseClosedError when the handle closes first (the saga goes on in the next tab)
   * @example
   * const { id, results } = await order.start({ sku: 'apple', qty: 2 })
   */
  async start(input: I, opts: StartOptions = {}): Promise<SagaResult> {
    if (typeof opts !== 'object' || opts === null) throw new BadSagaError(this.def.name, 'start: options must be an object')
    for (const k of Object.keys(opts)) if (k !== 'id') throw new BadSagaError(this.def.name, `start: unknown option ${JSON.stringify(k)}`)
    if (opts.id !== undefined && (typeof opts.id !== 'string' || opts.id.length === 0 || opts.id.length > 200)) {
      throw new BadSagaError(this.def.name, 'start: id must be a non-empty string (at most 200 characters)')
    }
    checkValue(`input of saga ${this.def.name}`, input)
    const { host, def } = this
    await host.ready()
    const id = opts.id ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`
    const token = newToken(host.tab)
    const now = Date.now()
    const first = def.steps[0]?.name ?? ''
    const row: SagaRow = {
      id,
      name: def.name,
      status: 'running',
      ...(input !== undefined ? { input } : {}),
      step: 0,
      attempt: 0,
      results: {},
      owner: token,
      lease: now + def.leaseMs,
      seq: 1,
      created: now,
      updated: now,
    }
    const existing = await host.db.transaction(async (t) => {
      const [old] = await t.read<SagaRow & Record<string, unknown>>(SAGA, id, 'write')
      if (old) return old
      await logEvent(t, id, 0, 'step_started', first, 1)
      await t.write(SAGA, row as SagaRow & Record<string, unknown>)
      return null
    })
    if (existing && existing.name !== def.name) {
      throw new WebnesiaError('already_exists', `saga id ${id} belongs to saga ${JSON.stringify(existing.name)}`)
    }
    const done = this.wait(id)
    if (!existing && !host.closed) void host.launch(new SagaRunner(def as unknown as SagaDefinition, host.db, row, token, host.emit, true))
    return done
  }

  /**
   * The saga `id` of this definition, or undefined when this node has none.
   * @throws BadSagaError (`'badarg'`) when `id` is not a string; DatabaseClosedError once the handle is closed
   * @example
   * const s = await order.status(id)   // { id, status: 'running', step: 'payment', results, … }
   */
  async status(id: string): Promise<SagaInfo | undefined> {
    if (typeof id !== 'string') throw new BadSagaError(this.def.name, 'status: id must be a string')
    await this.host.ready()
    const [row] = await this.host.db.dirtyRead<SagaRow & Record<string, unknown>>(SAGA, id)
    return row && row.name === this.def.name ? this.info(row) : undefined
  }

  /**
   * The sagas of this definition in this node, oldest first; `status` filters.
   * @throws BadSagaError for an unknown status
   */
  async list(filter: { status?: SagaStatus } = {}): Promise<SagaInfo[]> {
    const status: unknown = filter.status
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.has(status))) {
      throw new BadSagaError(this.def.name, `list: unknown status ${JSON.stringify(status) ?? typeof status}`)
    }
    await this.host.ready()
    const rows = await this.host.db.dirtyIndexRead<SagaRow & Record<string, unknown>>(SAGA, this.def.name, 'name')
    return rows
      .filter((r) => status === undefined || r.status === status)
      .sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1))
      .map((r) => this.info(r))
  }

  /**
   * The step events of saga `id` (started, succeeded, failed attempt n, compensations, …), in order.
   * @throws BadSagaError (`'badarg'`) when `id` is not a string; DatabaseClosedError once the handle is closed
   */
  async history(id: string): Promise<SagaEvent[]> {
    if (typeof id !== 'string') throw new BadSagaError(this.def.name, 'history: id must be a string')
    await this.host.ready()
    return readHistory(this.host.db, id)
  }

  private info(row: SagaRow): SagaInfo {
    const steps = this.def.steps
    const step =
      row.status === 'compensated' ? (row.error?.step ?? '') : row.status === 'stuck' ? (row.stuck?.step ?? '') : (steps[Math.min(row.step, steps.length - 1)]?.name ?? '')
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      step,
      results: row.results,
      ...(row.error ? { error: row.error } : {}),
      ...(row.stuck ? { stuck: row.stuck } : {}),
      attempt: row.attempt,
      ...(row.input !== undefined ? { input: row.input } : {}),
      created: row.created,
      updated: row.updated,
    }
  }

  /** A promise settled when saga `id` ends (checked now, then on every change of its row). */
  private wait(id: string): Promise<SagaResult> {
    return new Promise<SagaResult>((resolve, reject) => {
      let set = this.waiters.get(id)
      if (!set) this.waiters.set(id, (set = new Set()))
      set.add({ resolve, reject })
      this.host.db
        .dirtyRead<SagaRow & Record<string, unknown>>(SAGA, id)
        .then(([row]) => row && this.observe(row))
        .catch(reject)
    })
  }

  /** A row of this definition changed (here or in another tab): settle waiters, or watch its claim. */
  private observe(row: SagaRow): void {
    if (isTerminal(row.status)) {
      const set = this.waiters.get(row.id)
      if (!set) return
      this.waiters.delete(row.id)
      for (const w of set) {
        if (row.status === 'completed') w.resolve({ id: row.id, status: 'completed', results: row.results })
        else {
          // The reason as thrown, when this tab ran the failing step; else its stored form.
          const seen = this.host.running.get(row.id)?.failure
          const status = row.status === 'stuck' ? 'stuck' : 'compensated'
          w.reject(new SagaFailedError(row.id, row.error?.step ?? '', seen ?? row.error?.reason, status))
        }
      }
    } else if (row.owner !== null && !row.owner.startsWith(`${this.host.tab}:`)) {
      this.scanAt(row.lease)
    }
  }

  private scanAt(at: number): void {
    if (this.host.closed || (this.timer !== undefined && this.timerAt <= at)) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.timerAt = Infinity
        this.scan()
      },
      Math.max(0, at - Date.now()) + 5,
    )
  }

  /** Claims and runs every unfinished saga of this definition that no live claim holds. */
  private scan(): void {
    const { host, def } = this
    if (host.closed) return
    host.db
      .dirtyIndexRead<SagaRow & Record<string, unknown>>(SAGA, def.name, 'name')
      .then((rows) => {
        const now = Date.now()
        for (const row of rows) {
          if (isTerminal(row.status) || host.running.has(row.id)) continue
          if (row.owner === null || row.lease <= now) void this.resume(row.id)
          else this.scanAt(row.lease)
        }
      })
      .catch(() => undefined) // closed: nothing to scan
  }

  private async resume(id: string): Promise<void> {
    const { host, def } = this
    const token = newToken(host.tab)
    const row = await claim(host.db, id, token, def.leaseMs).catch(() => null)
    if (!row || host.closed) return
    await host.launch(new SagaRunner(def as unknown as SagaDefinition, host.db, row, token, host.emit, false))
  }
}
