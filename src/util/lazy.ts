/**
 * A module (or an object made from one) loaded on first use with a dynamic `import()`, so bundlers
 * split it out of an app's main chunk ("What loads when", ARCHITECTURE.md). The thin fronts in the
 * core (event store, live queries, schema changes) forward to it:
 *
 * - {@link Lazy.now} is the loaded value when nothing is still waiting for the load: a front calls
 *   it directly then (synchronously, no extra promise hop).
 * - {@link Lazy.later} runs a call once the value is there. Calls made while the load is under way
 *   run in the order they were made, and a call made after the load but while earlier ones have
 *   not run yet waits its turn (`now()` is null until they have), so a front never reorders calls.
 * - A load that fails (a chunk that cannot be fetched: offline without a cache) rejects the calls
 *   that waited for it and is tried again by the next call.
 *
 * @module
 */
export class Lazy<T> {
  private value: T | null = null
  private loading: Promise<T> | null = null
  /** Calls handed to {@link later} that have not run yet. */
  private waiting = 0

  /** @param load loads the module (the dynamic `import()`) and makes the value */
  constructor(private readonly load: () => Promise<T>) {}

  /** The value, if loaded and no earlier call still waits for it; else null. */
  now(): T | null {
    return this.waiting === 0 ? this.value : null
  }

  /** The value if loaded (whether or not calls still wait for it), else null. */
  get loaded(): T | null {
    return this.value
  }

  /** Starts the load unless it is loaded or under way; resolves with the value. */
  start(): Promise<T> {
    if (this.value !== null) return Promise.resolve(this.value)
    const p = (this.loading ??= this.load().then(
      (v) => (this.value = v),
      (e: unknown) => {
        this.loading = null // the next call tries again
        throw e
      },
    ))
    return p
  }

  /** Runs `fn` with the value once it is loaded and every earlier call has run. */
  later<R>(fn: (v: T) => R): Promise<Awaited<R>> {
    this.waiting++
    return this.start().then(
      (v) => {
        this.waiting--
        return fn(v) as Awaited<R>
      },
      (e: unknown) => {
        this.waiting--
        throw e
      },
    )
  }
}
