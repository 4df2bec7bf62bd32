/**
 * A declared saga, as `db.saga(name, steps, options)` returns it: `start`, `status`, `list`,
 * `history`. Its engine (engine.ts: the step runner, claims, resumption) is loaded with a dynamic
 * `import()` by the tab's first declaration (sagas.ts), so an app without sagas does not ship it;
 * every method here is asynchronous and waits for it.
 *
 * @module
 */
import type { SagaEvent, SagaFailure, SagaStatus } from './log.js'

/** What `status(id)` and `list()` tell about a saga. */
export interface SagaInfo {
  /** The saga's id. */
  readonly id: string
  /** The definition's name. */
  readonly name: string
  /** Where it is: running, compensating, completed, compensated or stuck. */
  readonly status: SagaStatus
  /**
   * The step it is at: running → the step running; compensating → the step being compensated;
   * completed → the last step; compensated → the step that failed; stuck → the stuck compensation.
   */
  readonly step: string
  /** The results of the completed steps, by step name. */
  readonly results: Readonly<Record<string, unknown>>
  /** The failure that made it compensate (stored form of the reason). */
  readonly error?: SagaFailure
  /** The compensation that ran out of retries (status 'stuck'). */
  readonly stuck?: SagaFailure
  /** Failed attempts of the current step (or compensation) so far. */
  readonly attempt: number
  /** The input it was started with. */
  readonly input?: unknown
  /** Date.now() when it started. */
  readonly created: number
  /** Date.now() at its last change. */
  readonly updated: number
}

/** What `start` resolves with. */
export interface SagaResult {
  /** The saga's id. */
  readonly id: string
  /** Always `'completed'` (a failed saga rejects with `SagaFailedError`). */
  readonly status: 'completed'
  /** Each step's result, by step name. */
  readonly results: Readonly<Record<string, unknown>>
}

/** Options of `start`. */
export interface StartOptions {
  /** The saga id (default: a random one). Starting an existing id attaches to that saga. */
  readonly id?: string
}

/** @internal What a {@link Saga} delegates to (engine.ts). */
export interface SagaOps<I> {
  start(input: I, opts?: StartOptions): Promise<SagaResult>
  status(id: string): Promise<SagaInfo | undefined>
  list(filter?: { status?: SagaStatus }): Promise<SagaInfo[]>
  history(id: string): Promise<SagaEvent[]>
}

/** A declared saga of one tab. */
export class Saga<I = unknown> {
  /** @internal Use `db.saga(name, steps, options)`. */
  constructor(
    /** The definition's name. */
    readonly name: string,
    private readonly engine: Promise<SagaOps<I>>,
  ) {
    engine.catch(() => undefined) // a failed load is reported by each call, not as an unhandled rejection
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
  async start(input: I, opts?: StartOptions): Promise<SagaResult> {
    return (await this.engine).start(input, opts)
  }

  /**
   * The saga `id` of this definition, or undefined when this node has none.
   * @throws BadSagaError (`'badarg'`) when `id` is not a string; DatabaseClosedError once the handle is closed
   * @example
   * const s = await order.status(id)   // { id, status: 'running', step: 'payment', results, … }
   */
  async status(id: string): Promise<SagaInfo | undefined> {
    return (await this.engine).status(id)
  }

  /**
   * The sagas of this definition in this node, oldest first; `status` filters.
   * @throws BadSagaError for an unknown status
   */
  async list(filter?: { status?: SagaStatus }): Promise<SagaInfo[]> {
    return (await this.engine).list(filter)
  }

  /**
   * The step events of saga `id` (started, succeeded, failed attempt n, compensations, …), in order.
   * @throws BadSagaError (`'badarg'`) when `id` is not a string; DatabaseClosedError once the handle is closed
   */
  async history(id: string): Promise<SagaEvent[]> {
    return (await this.engine).history(id)
  }
}
