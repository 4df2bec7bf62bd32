/**
 * The live query engine (API.md, "Live queries"): a read-only transaction function whose result is
 * followed as the node changes. `live-query.ts` (the public `LiveQuery` in the core) loads this
 * module with a dynamic `import()` at the first subscription of the page and hands each query's
 * subscribers to one {@link LiveRun}.
 *
 *     subscribe ─► run fn (txn/observe.ts) ─► value + read set + snapshot LSN ─► emit (if not deep-equal)
 *         ▲                                                                         │
 *         └── coalesce ◄── matches the read set? ◄── applied commit (events/applied.ts) ◄── any tab / peer
 *
 * - Re-run only when an applied commit touched what the last run read: one of its keys, or a
 *   table it read whole (scans, folds, index reads, iteration). Schema changes and reloads re-run
 *   every live query (a table may have appeared, gone or been redefined).
 * - Every value is the result of one run at one snapshot (`observe` restarts a run that a commit
 *   landed under), runs never overlap, and each starts after the previous one ended: values come in
 *   commit order. Commits applied while a run is in flight are matched against that run's read set
 *   once it is known, so none is missed.
 * - Coalescing: a change re-runs on the next task while fewer than {@link RUNS_PER_FRAME} runs
 *   started within the last {@link FRAME_MS}; past that, it waits until the oldest of those runs
 *   is a frame old, so a burst costs at most that many runs per frame and always ends with a run
 *   at the final state, while an occasional change (a click, another tab's commit) is shown at once. In a hidden document (where
 *   browsers throttle timers to once a second) runs go on the next task without waiting: a hidden
 *   tab is current the moment it is shown.
 * - A throwing function calls the error callbacks once per distinct failure (name, code, message)
 *   and the query goes on; a later success resets that memory.
 *
 * One `LiveRun` (one `LiveQuery` object) is shared by its subscribers: it starts with the first and stops with the
 * last (a later subscribe starts afresh). A subscriber joining while a value is known gets it at
 * once, synchronously (Svelte's store contract).
 *
 * @module
 */
import { dequal } from 'dequal'
import type { Applied } from '../events/applied.js'
import type { Observation, Outcome } from '../txn/observe.js'
import type { ReadSet } from '../txn/write-set.js'
import { DatabaseClosedError } from '../errors.js'
import { KeyMap, canonical, type Key } from '../storage/term.js'
import type { LiveQueryHost, LiveQueryObserver } from './live-query.js'

/** The window in which a burst of changes is folded into a few re-runs (one frame at 60 Hz). */
export const FRAME_MS = 16

/** How many runs may start within one {@link FRAME_MS} window before changes wait for the next. */
export const RUNS_PER_FRAME = 4

type Macrotask = (fn: () => void) => void
const nextTask: Macrotask = (() => {
  if (typeof setImmediate === 'function') return (fn) => void setImmediate(fn)
  if (typeof MessageChannel === 'function') {
    // Not throttled in hidden tabs (timers are): the scheduler React uses too.
    const ch = new MessageChannel()
    const queue: (() => void)[] = []
    ch.port1.onmessage = () => queue.shift()?.()
    return (fn) => {
      queue.push(fn)
      ch.port2.postMessage(null)
    }
  }
  return (fn) => void setTimeout(fn, 0)
})()

function hidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden'
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now()
}

/** The read set as lookups: tables read whole, and keys per table. */
interface ReadIndex {
  readonly tables: ReadonlySet<string>
  readonly keys: ReadonlyMap<string, KeyMap<Key>>
}

function indexReads(reads: ReadSet): ReadIndex {
  const keys = new Map<string, KeyMap<Key>>()
  for (const r of reads.keys) {
    let m = keys.get(r.t)
    if (!m) keys.set(r.t, (m = new KeyMap<Key>()))
    m.set(r.key, r.key)
  }
  return { tables: new Set(reads.tables.keys()), keys }
}

/** Whether an applied commit may have changed what a run with this read set saw. */
function affects(a: Applied, idx: ReadIndex): boolean {
  if (a.type !== 'commit' || a.schema) return true
  for (const [t, touched] of a.touched) {
    if (idx.tables.has(t)) return true
    const keys = idx.keys.get(t)
    if (!keys) continue
    if (touched === 'table') return true
    if (keys.size <= touched.size) {
      for (const k of keys.values()) if (touched.has(k)) return true
    } else {
      for (const k of touched.values()) if (keys.has(k)) return true
    }
  }
  return false
}

function failureKey(e: unknown): string {
  if (e instanceof Error) return canonical([e.name, (e as { code?: unknown }).code, e.message])
  try {
    return canonical(e)
  } catch {
    return String(e)
  }
}

interface Sub<T> {
  readonly o: LiveQueryObserver<T>
}

/**
 * The engine of one {@link LiveQuery}: its subscribers, the runs, the matching of applied commits
 * against the last read set, coalescing. See the module comment.
 */
export class LiveRun<T> {
  private readonly subs = new Set<Sub<T>>()
  private off: (() => void) | null = null
  /** Bumped on stop: a run finishing after it is dropped. */
  private generation = 0
  private running = false
  private scheduled = false
  private dirty = false
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Start times of the last {@link RUNS_PER_FRAME} runs, oldest first. */
  private starts: number[] = []
  private lsn = -1
  private reads: ReadIndex | null = null
  /** Commits applied while a run was in flight: matched against its read set when it ends. */
  private during: Applied[] = []
  private hasValue = false
  private value: T | undefined
  private failure: string | null = null
  private idlers: (() => void)[] = []
  /** How many times the function has been run (for tests and benchmarks). */
  runs = 0

  /** @param host runs the query function and listens to applied commits (db.ts; tests fake it) */
  constructor(private readonly host: LiveQueryHost<T>) {}

  /**
   * Resolves once no run is due or in flight: every commit applied so far is reflected in the
   * last value (or error). For tests, tools and server-side rendering.
   * @throws Nothing: it resolves (at once when the query has no subscriber).
   */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve()
    return new Promise((resolve) => this.idlers.push(resolve))
  }

  private get busy(): boolean {
    return this.off !== null && (this.running || this.scheduled || this.dirty)
  }

  private settleIdle(): void {
    if (this.busy) return
    for (const fn of this.idlers.splice(0)) fn()
  }

  /** Adds a subscriber (LiveQuery.subscribe); returns the function that removes it. */
  subscribe(o: LiveQueryObserver<T>): () => void {
    const sub: Sub<T> = { o }
    this.subs.add(sub)
    if (this.subs.size === 1) this.start()
    else if (this.hasValue) o.next?.(this.value as T)
    return (): void => {
      if (!this.subs.delete(sub)) return
      if (this.subs.size === 0) this.stop()
    }
  }

  private start(): void {
    this.off = this.host.onApplied((a) => this.applied(a))
    this.dirty = true
    this.schedule(true)
  }

  private stop(): void {
    this.generation++
    this.off?.()
    this.off = null
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.running = this.scheduled = this.dirty = this.hasValue = false
    this.value = undefined
    this.reads = null
    this.during = []
    this.failure = null
    this.lsn = -1
    this.settleIdle()
  }

  /** The database closed: the query completes. */
  private end(): void {
    const subs = [...this.subs]
    this.stop()
    this.subs.clear()
    for (const s of subs) call(() => s.o.complete?.())
  }

  private applied(a: Applied): void {
    if (a.type === 'closed') {
      this.end()
      return
    }
    if (this.running) {
      this.during.push(a)
      return
    }
    if (a.lsn <= this.lsn && a.type === 'commit') return
    if (this.reads && !affects(a, this.reads)) return
    this.dirty = true
    this.schedule(false)
  }

  private schedule(immediate: boolean): void {
    if (this.scheduled || this.running || !this.dirty) return
    this.scheduled = true
    const gen = this.generation
    const go = (): void => {
      this.timer = undefined
      if (gen !== this.generation) return
      this.scheduled = false
      void this.run()
    }
    const wait = this.starts.length < RUNS_PER_FRAME ? 0 : (this.starts[0] ?? 0) + FRAME_MS - now()
    if (immediate || wait <= 0 || hidden()) nextTask(go)
    else this.timer = setTimeout(go, wait)
  }

  private async run(): Promise<void> {
    const gen = this.generation
    this.running = true
    this.dirty = false
    this.during = []
    this.starts.push(now())
    if (this.starts.length > RUNS_PER_FRAME) this.starts.shift()
    this.runs++
    let obs: Observation<T>
    try {
      obs = await this.host.observe()
    } catch (e) {
      if (gen !== this.generation) return
      if (e instanceof DatabaseClosedError) {
        this.end()
        return
      }
      // A storage failure validating disc_only reads: a failure like the function's own; the
      // last read set stays, so the next change re-runs it.
      this.running = false
      this.deliver({ ok: false, error: e })
      this.schedule(false)
      this.settleIdle()
      return
    }
    if (gen !== this.generation) return
    this.running = false
    this.lsn = obs.lsn
    this.reads = indexReads(obs.reads)
    for (const a of this.during) if ((a.type === 'reset' || a.lsn > obs.lsn) && affects(a, this.reads)) this.dirty = true
    this.during = []
    this.deliver(obs.outcome)
    this.schedule(false)
    this.settleIdle()
  }

  private deliver(out: Outcome<T>): void {
    if (out.ok) {
      this.failure = null
      if (this.hasValue && dequal(this.value, out.value)) return
      this.hasValue = true
      this.value = out.value
      for (const s of [...this.subs]) call(() => s.o.next?.(out.value))
      return
    }
    const key = failureKey(out.error)
    if (key === this.failure) return
    this.failure = key
    for (const s of [...this.subs]) call(() => s.o.error?.(out.error))
  }
}

/** Calls a subscriber; its error must not stop the query. */
export function call(fn: () => void): void {
  try {
    fn()
  } catch (e) {
    if (typeof reportError === 'function') reportError(e)
    else console.error(e)
  }
}

export { observe } from '../txn/observe.js'
