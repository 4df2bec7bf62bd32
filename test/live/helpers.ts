/** Helpers for live-query tests: a subscriber that records what it got and can be awaited. */
import type { LiveQuery } from '../../src/index.js'

/** Records a live query's values and errors; `until` resolves on the first value that fits. */
export class Recorder<T> {
  readonly values: T[] = []
  readonly errors: unknown[] = []
  completed = false
  private waiters: { pred: (v: T) => boolean; resolve: (v: T) => void }[] = []
  private errorWaiters: (() => void)[] = []
  readonly off: () => void

  constructor(q: LiveQuery<T>) {
    this.off = q.subscribe({
      next: (v) => {
        this.values.push(v)
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(v)) return true
          w.resolve(v)
          return false
        })
      },
      error: (e) => {
        this.errors.push(e)
        for (const w of this.errorWaiters.splice(0)) w()
      },
      complete: () => {
        this.completed = true
      },
    })
  }

  /** The last value. */
  get last(): T | undefined {
    return this.values[this.values.length - 1]
  }

  /** Resolves with the first value (already received or to come) for which `pred` holds. */
  until(pred: (v: T) => boolean): Promise<T> {
    const seen = this.values.find(pred)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve) => this.waiters.push({ pred, resolve }))
  }

  /** Resolves once `n` errors have arrived. */
  async errorsReach(n: number): Promise<void> {
    while (this.errors.length < n) await new Promise<void>((r) => this.errorWaiters.push(r))
  }
}
