/**
 * Writes queued while the primary is away (`{ whenPrimaryDown: 'queue' }`): the transaction's
 * request (its reads by value and its writes, messages.ts) is kept in a local disc_copies table
 * (`webnesia_primary_queue`, localContent, as the saga layer keeps its state), so a reload does
 * not lose it; it is sent when a primary of its tables is reachable again, with the same request
 * id (the primary answers a request it has seen instead of committing it twice).
 *
 *     enqueue ──► row { rid, body, at } committed ──► wait: primary up? ──► forward
 *                 committed ──► row deleted, the transaction resolves
 *                 conflict  ──► row deleted, the function runs again (in this session)
 *     after a reload ──► every 500 ms: each row no waiter holds ──► forward ──► row deleted
 *                 (a conflict then drops the queued transaction: its function is gone)
 *
 * @module
 */
import { DatabaseClosedError, TableExistsError } from '../errors.js'
import type { RouteOutcome } from '../txn/route.js'
import type { ClusterView, Forwarded, PrimaryHost } from './host.js'
import { checkRequest, type PrimaryRequest } from './messages.js'

/** The queue table (localContent disc_copies). */
export const QUEUE_TABLE = 'webnesia_primary_queue'
const TICK_MS = 200

type Forward = (primary: string, req: PrimaryRequest) => Promise<Forwarded>

/** The durable queue of one handle. */
export class PrimaryQueue {
  private ready: Promise<void> | null = null
  private readonly held = new Set<string>()
  private timer: ReturnType<typeof setInterval> | null = null
  private closed = false
  private draining = false
  /** Queued requests that the primary refused or found stale after a reload (dropped). */
  dropped = 0

  constructor(
    private readonly host: PrimaryHost,
    private readonly view: () => ClusterView | null,
    private readonly forward: Forward,
  ) {}

  /** Starts replaying rows left by an earlier session, if the table exists. */
  resume(): void {
    if (this.timer || this.closed || !this.host.node.catalog.tables.has(QUEUE_TABLE)) return
    this.timer = setInterval(() => {
      void this.drain()
    }, TICK_MS * 2.5)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  close(): void {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
  }

  /** Number of queued requests. */
  size(): number {
    return this.host.node.catalog.tables.get(QUEUE_TABLE)?.size ?? 0
  }

  /** Queues a request durably, then waits until a primary takes it. */
  async enqueue(req: PrimaryRequest): Promise<RouteOutcome> {
    await this.ensure()
    this.held.add(req.rid)
    try {
      await this.host.transaction(async (t) => {
        await t.write(QUEUE_TABLE, { rid: req.rid, body: req, at: Date.now() })
      })
      for (;;) {
        if (this.closed) throw new DatabaseClosedError()
        const r = await this.attempt(req)
        if (r === 'committed' || r === 'conflict') return r
        if (r === 'refused') return 'conflict'
        await new Promise((resolve) => setTimeout(resolve, TICK_MS))
      }
    } finally {
      this.held.delete(req.rid)
    }
  }

  /** One try: null when no primary is reachable (or it did not answer). */
  private async attempt(req: PrimaryRequest): Promise<Forwarded> {
    const view = this.view()
    if (!view) return null
    const primaries = new Set<string>()
    const epochs: [string, number][] = []
    for (const [t] of req.epochs) {
      const role = view.role(t)
      if (!role) return null
      primaries.add(role.node)
      epochs.push([t, role.epoch])
    }
    const primary = [...primaries][0]
    if (primaries.size !== 1 || primary === undefined || (primary !== view.self && !view.isUp(primary))) return null
    // The role may have moved while queued: the request goes to the primary of now, at its epoch.
    const r = await this.forward(primary, { ...req, epochs })
    if (r === null) return null
    await this.host.transaction(async (t) => {
      await t.delete(QUEUE_TABLE, req.rid)
    })
    return r
  }

  private async drain(): Promise<void> {
    if (this.draining || this.closed) return
    this.draining = true
    try {
      const rows = await this.host.transaction(async (t) => t.matchObject(QUEUE_TABLE, {}))
      rows.sort((a, b) => Number(a['at']) - Number(b['at']))
      for (const row of rows) {
        const req = checkRequest(row['body'])
        if (this.held.has(req.rid)) continue
        this.held.add(req.rid)
        try {
          const r = await this.attempt(req)
          if (r === null) break
          if (r !== 'committed') this.dropped++
        } finally {
          this.held.delete(req.rid)
        }
      }
    } catch (e) {
      if (!this.closed) this.host.node.reportError(e)
    } finally {
      this.draining = false
    }
  }

  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      if (!this.host.node.catalog.tables.has(QUEUE_TABLE)) {
        try {
          await this.host.createTable(QUEUE_TABLE, { attributes: ['rid', 'body', 'at'], storage: 'disc_copies', localContent: true })
        } catch (e) {
          if (!(e instanceof TableExistsError)) throw e
        }
      }
      this.resume()
    })()
    return this.ready
  }
}
