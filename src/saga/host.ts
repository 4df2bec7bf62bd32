/**
 * The sagas of one tab (one Database handle): its tab id for claims, the saga tables (created once,
 * on first use), the runners this tab is running, and `close()`, which abandons them all at once.
 *
 * Closing is what a dying tab does, minus the dying: every runner stops at once (its step's signal
 * aborts, its promise is no longer awaited, its heartbeat ends), nothing is written, and the claims
 * run out with their leases, so the next tab that declares the saga resumes it. `start()` promises
 * still pending in this tab reject with `DatabaseClosedError`.
 *
 * @module
 */
import { DatabaseClosedError } from '../errors.js'
import type { SystemEvent } from '../events/subscriptions.js'
import { ensureTables, type SagaDb } from './log.js'
import type { SagaRunner } from './runner.js'

/** One tab's saga machinery, shared by its definitions. */
export class SagaHost {
  /** This tab's id in claim tokens. */
  readonly tab = `tab-${Math.random().toString(36).slice(2, 10)}`
  /** The runners of this tab, by saga id: a saga runs at most once per tab. */
  readonly running = new Map<string, SagaRunner>()
  private readonly closers = new Set<() => void>()
  private tables: Promise<void> | null = null
  closed = false

  /**
   * @param db the handle's public API
   * @param emit emits a system event in every tab of the node (the engine's seam for `saga_stuck`)
   */
  constructor(
    readonly db: SagaDb,
    readonly emit: (ev: SystemEvent) => void,
  ) {}

  /** Resolves once the saga tables exist (creating them the first time). */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new DatabaseClosedError())
    this.tables ??= ensureTables(this.db).catch((e: unknown) => {
      this.tables = null // a later call tries again
      throw e
    })
    return this.tables
  }

  /** Calls `fn` on close (a definition's timers and subscriptions). Returns the deregistration. */
  onClose(fn: () => void): () => void {
    this.closers.add(fn)
    return () => this.closers.delete(fn)
  }

  /** Starts `runner` unless this tab runs that saga already; forgets it when it ends. */
  launch(runner: SagaRunner): Promise<void> {
    if (this.closed || this.running.has(runner.id)) return Promise.resolve()
    this.running.set(runner.id, runner)
    return runner.run().finally(() => {
      if (this.running.get(runner.id) === runner) this.running.delete(runner.id)
    })
  }

  /** Abandons every saga of this tab at once (synchronous: nothing is awaited or written). */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const r of this.running.values()) r.halt()
    this.running.clear()
    for (const fn of [...this.closers]) fn()
    this.closers.clear()
  }
}
