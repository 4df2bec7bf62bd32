/**
 * Live queries (API.md, "Live queries") as the core holds them: the public {@link LiveQuery} that
 * `db.liveQuery(fn)` returns at once. Its engine (`runner.ts`: the runs, the read-set matching,
 * coalescing, deep equality; with `txn/observe.ts`) is loaded with a dynamic `import()` at the
 * first subscription of the page, so an app that follows no query does not ship it.
 *
 * Everything the contract makes synchronous stays so: `subscribe` returns its unsubscribe function
 * at once (a subscriber that leaves before the engine is there is never handed to it), and once
 * the engine is loaded a subscriber joining while a value is known gets it synchronously (Svelte's
 * store contract). Subscriptions made while the engine loads reach it in the order they were made
 * (util/lazy.ts). A load that fails (offline, no cache) is the error of the subscriptions that
 * waited for it; the next subscription tries again.
 *
 * @module
 */
import type { Applied } from '../events/applied.js'
import type { Observation } from '../txn/observe.js'
import { Lazy } from '../util/lazy.js'
import type * as Engine from './runner.js'

declare global {
  interface SymbolConstructor {
    /** The interop symbol of observables (RxJS and others; the same declaration as theirs). */
    readonly observable: symbol
  }
}

/** Something that receives a live query's values (and, optionally, its errors). */
export interface LiveQueryObserver<T> {
  /** Each new value (never two deep-equal values in a row). */
  next?: (value: T) => void
  /** Each distinct failure of the query function (the query goes on). */
  error?: (err: unknown) => void
  /** The database closed: no more values. */
  complete?: () => void
}

/**
 * Ends a subscription. It is a function (Svelte's store contract) that also has `unsubscribe`
 * (an RxJS `Unsubscribable`).
 */
export interface Unsubscribe {
  (): void
  /**
   * The same as calling it: ends the subscription (the query stops with its last subscriber).
   * @throws Nothing: a second call does nothing.
   */
  unsubscribe(): void
}

/** A minimal interop observable, as `Symbol.observable` returns it. */
export interface InteropObservable<T> {
  /**
   * Subscribes as {@link LiveQuery.subscribe} does.
   * @throws Nothing: the query's failures go to `observer.error`.
   */
  subscribe(observer: LiveQueryObserver<T> | ((value: T) => void)): { unsubscribe(): void }
  /**
   * Itself (the interop protocol).
   * @throws Nothing.
   */
  [Symbol.observable](): InteropObservable<T>
}

/** What a live query needs from its database (a seam, so tests can drive it). */
export interface LiveQueryHost<T> {
  /** Runs the query function as a read-only transaction and reports what it read. */
  observe(): Promise<Observation<T>>
  /** Listens to applied commits; returns the function that stops listening. */
  onApplied(fn: (a: Applied) => void): () => void
}

/** The engine module (runner.ts), once loaded. */
export type LiveEngine = typeof Engine

const OBSERVABLE: symbol | '@@observable' = (typeof Symbol === 'function' && Symbol.observable) || '@@observable'

/** The engine, loaded by the first subscription of the page. */
const engine = new Lazy<LiveEngine>(() => import('./runner.js'))

/**
 * A query followed live: see API.md. Made by `db.liveQuery(fn)`.
 *
 * @example
 * const q = db.liveQuery((t) => t.matchObject('order', { sku: 'apple' }))
 * const off = q.subscribe((orders) => render(orders), (err) => show(err))
 * // later: off()
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface below only adds the Symbol.observable member, defined on the prototype at the end of this module
export class LiveQuery<T> {
  private run: Engine.LiveRun<T> | null = null
  /** Subscriptions made before the engine was there that it has not been handed yet. */
  private pending = 0

  /** @internal Use `db.liveQuery(fn)`. `host` makes the engine's seam from the loaded module. */
  constructor(private readonly host: (m: LiveEngine) => LiveQueryHost<T>) {}

  /** How many times the function has been run (for tests and benchmarks). */
  get runs(): number {
    return this.run?.runs ?? 0
  }

  private runOf(m: LiveEngine): Engine.LiveRun<T> {
    return (this.run ??= new m.LiveRun<T>(this.host(m)))
  }

  /**
   * Resolves once no run is due or in flight: every commit applied so far is reflected in the
   * last value (or error). For tests, tools and server-side rendering.
   * @throws Nothing: it resolves (at once when the query has no subscriber).
   */
  idle(): Promise<void> {
    if (this.pending === 0) return this.run ? this.run.idle() : Promise.resolve()
    return engine.later(() => (this.run ? this.run.idle() : undefined)).catch(() => undefined)
  }

  /**
   * Subscribes: `next` gets the first value once the function has run, then every new value;
   * `error` gets each distinct failure. A value already known is delivered synchronously.
   * Returns the unsubscribe function (also callable as `.unsubscribe()`).
   * @throws Nothing: the query's failures go to `error`; an exception thrown by a callback is
   * reported (`reportError`) and does not stop the query.
   */
  subscribe(next: ((value: T) => void) | LiveQueryObserver<T>, error?: (err: unknown) => void): Unsubscribe {
    const o: LiveQueryObserver<T> = typeof next === 'function' ? { next, ...(error ? { error } : {}) } : next
    const m = engine.now()
    let off: (() => void) | null = m ? this.runOf(m).subscribe(o) : null
    let gone = false
    if (!m) {
      this.pending++
      engine
        .later((mod) => {
          this.pending--
          if (!gone) off = this.runOf(mod).subscribe(o)
        })
        .catch((e: unknown) => {
          this.pending--
          if (gone) return
          try {
            o.error?.(e)
          } catch (err) {
            if (typeof reportError === 'function') reportError(err)
            else console.error(err)
          }
        })
    }
    const unsubscribe = (): void => {
      gone = true
      off?.()
    }
    return Object.assign(unsubscribe, { unsubscribe })
  }

  /**
   * The interop observable under its string name (see `Symbol.observable`).
   * @throws Nothing.
   */
  '@@observable'(): InteropObservable<T> {
    const self: InteropObservable<T> = {
      subscribe: (observer: LiveQueryObserver<T> | ((value: T) => void)) => this.subscribe(observer),
      [OBSERVABLE]: (): InteropObservable<T> => self,
    } as unknown as InteropObservable<T>
    return self
  }
}

// The interface half of LiveQuery: `Symbol.observable` is declared as a plain `symbol` (as RxJS
// declares it), which a class member cannot be keyed by; an interface member can.
export interface LiveQuery<T> {
  /**
   * `q[Symbol.observable]()`: the interop observable (`from(q)` in RxJS). Also under the
   * string `'@@observable'`, where libraries look it up when `Symbol.observable` is not defined.
   * @throws Nothing.
   */
  [Symbol.observable](): InteropObservable<T>
}

// `q[Symbol.observable]` where the symbol exists (RxJS and zen-observable polyfill it).
if (OBSERVABLE !== '@@observable') {
  Object.defineProperty(LiveQuery.prototype, OBSERVABLE, {
    value(this: LiveQuery<unknown>): InteropObservable<unknown> {
      return this['@@observable']()
    },
    writable: true,
    configurable: true,
  })
}
