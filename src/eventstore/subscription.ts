/**
 * Catch-up subscriptions (EventStoreDB's, Commanded's `start_from`): one loop per subscription
 * in its tab, going by position.
 *
 * The loop reads the events after its cursor in batches (consecutive keys of `es:log`), hands
 * them to the handler one at a time, moves the cursor, and when it finds nothing more waits for
 * the next write to `es:log` — a local append, another tab's, or a peer's event ingested here —
 * which it learns from an ordinary table subscription. Because positions are this node's arrival
 * order with no gaps, "the events after my cursor" is exact: each event is delivered once, in
 * position order, late events from peers included.
 *
 * `from: 'current'` is the position when `subscribe` was called: the table listener is attached
 * synchronously (api.ts, `LogWatch`), and if a write arrives before the loop has read the last position, the first
 * position it saw (minus one) is the start.
 *
 * A handler that throws is retried with exponential backoff (10 ms … 2 s) on the same event,
 * forever, until it succeeds or the subscription is stopped; `onError` sees each failure.
 *
 * @module
 */
import { DatabaseClosedError } from '../errors.js'
import type { LogWatch } from './api.js'
import { Signal, backoffMs, delay } from './signal.js'
import type { RecordedEvent, StoreEngine } from './store.js'

/** Options of `es.subscribe`. */
export interface SubscribeOptions {
  /** `'origin'`: every event; `'current'`: events appended after the call; a position: events after it. */
  from: 'origin' | 'current' | number
  /** Only this stream's events. */
  stream?: string
  /** Called with each failure of the handler (it is retried after a backoff). */
  onError?: (error: unknown, event: RecordedEvent, attempt: number) => void
  /** Events read per batch (default 256). */
  batchSize?: number
}

/** A subscription handler. */
export type EventHandler = (event: RecordedEvent) => unknown

/** One subscription's loop. */
export class CatchUp {
  private readonly wake = new Signal()
  private stopped = false
  private cursor: number | undefined

  /** @param watch the `es:log` listener `subscribe` attached at the call (api.ts) */
  constructor(
    private readonly store: StoreEngine,
    private readonly opts: SubscribeOptions,
    private readonly handler: EventHandler,
    private readonly watch: LogWatch,
  ) {}

  /** Runs the loop in the background (the listener is attached already). */
  start(): void {
    const from = this.opts.from
    this.cursor = from === 'origin' ? 0 : from === 'current' ? undefined : from
    if (!this.watch.hadLog && from === 'current') this.cursor = 0 // no es:log in this tab at the call: nothing came before
    this.watch.wake = () => this.wake.fire()
    void this.loop()
  }

  stop(): void {
    this.stopped = true
    this.watch.close()
    this.wake.fire()
  }

  private async loop(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.run()
        return
      } catch (e) {
        if (e instanceof DatabaseClosedError || this.stopped) return
        // Not the handler's failure (those are retried in deliver): report, then go on.
        if (typeof reportError === 'function') reportError(e)
        else console.error(e)
        await delay(backoffMs(attempt))
      }
    }
  }

  private async run(): Promise<void> {
    await this.store.ready()
    if (this.stopped) return
    if (!this.watch.attached) this.watch.attach()
    if (this.cursor === undefined) {
      const last = await this.store.headPosition()
      const first = this.watch.firstSeen
      this.cursor = first !== undefined ? Math.min(first - 1, last) : last
    }
    const n = this.opts.batchSize ?? 256
    while (!this.stopped) {
      const { events, scanned } = await this.store.readFrom(this.cursor, n, this.opts.stream)
      for (const ev of events) {
        if (!(await this.deliver(ev))) return
        this.cursor = ev.position
      }
      if (scanned > this.cursor) this.cursor = scanned // positions of other streams
      if (events.length === 0) await this.wake.wait()
    }
  }

  /** Calls the handler until it succeeds; false when the subscription stopped first. */
  private async deliver(ev: RecordedEvent): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return false
      try {
        await this.handler(ev)
        return true
      } catch (e) {
        this.opts.onError?.(e, ev, attempt)
        await delay(backoffMs(attempt - 1))
      }
    }
  }
}
