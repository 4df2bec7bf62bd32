/**
 * Housekeeping (every {@link HOUSEKEEPING_MS}): a tab reports the LSN it applied, dumps the log
 * (node/dumps.ts), and truncates the log entries every live tab has applied and the stores hold,
 * always keeping the last record (it tells the current LSN).
 *
 * A tab is live while it holds its Web Lock (log/tabs.ts), however long ago it reported (a frozen
 * tab keeps it): the log is never cut past a live tab, so a stale tab's next commit collides on
 * its log key and catches up (the committer's speculation relies on this). Records of tabs without
 * a lock (closed, crashed) count for {@link TAB_LEASE_MS}.
 *
 * @module
 */
import { KeyRange, type StorageBackend } from '../backend/backend.js'
import { fire } from '../backend/requests.js'
import { LOG, META, TABS } from '../log/connection.js'
import { dumpedLsn } from '../log/dumper.js'
import type { Applier } from './applier.js'
import type { DumpSchedule } from './dumps.js'

/** How long the `tabs` record of a tab that holds no Web Lock (closed, crashed, or not yet registered) counts. */
export const TAB_LEASE_MS = 30_000
/** How often a tab reports its applied LSN and truncates the log. */
export const HOUSEKEEPING_MS = 2_000

/** One tab's housekeeping. */
export class Housekeeping {
  private timer: ReturnType<typeof setInterval> | null = null
  private reported = -1

  constructor(
    private readonly backend: StorageBackend,
    private readonly applier: Applier,
    private readonly dumps: DumpSchedule,
    /** The other live tabs of the node. */
    private readonly others: () => Promise<string[]>,
    private readonly isClosed: () => boolean,
  ) {}

  /** Runs every {@link HOUSEKEEPING_MS} until {@link stop}. */
  start(): void {
    this.timer = setInterval(() => {
      void this.run().catch(() => undefined)
    }, HOUSEKEEPING_MS)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /**
   * Reports this tab's applied LSN, dumps the log into the disc_copies stores, and truncates the
   * log entries every live tab has applied and the stores hold.
   */
  async run(): Promise<void> {
    const applier = this.applier
    if (this.isClosed() || applier.applied === this.reported) return
    const alive = new Set(await this.others())
    await this.dumps.dump().catch((e: unknown) => {
      this.dumps.failed(e)
    })
    const tx = await this.backend.transaction([TABS, LOG, META], 'readwrite', 'relaxed')
    const dumped = await dumpedLsn(tx)
    this.dumps.dumpedTo(dumped)
    const now = Date.now()
    const tabs = tx.store(TABS)
    // The tab reports no more than what the stores hold: a tab of an older webnesia (format 3,
    // which truncates by the tabs' reports alone) then never cuts entries the dumper still needs.
    const reported = Math.min(applier.applied, dumped)
    fire(tabs.put({ applied: reported, at: now }, applier.tab))
    let min = reported
    for (const { key, value } of await tabs.entries(undefined, 'next', Infinity)) {
      const v = value as { applied: number; at: number }
      if (key !== applier.tab) {
        if (alive.has(key as string) || now - v.at <= TAB_LEASE_MS) min = Math.min(min, v.applied)
        else fire(tabs.delete(key))
      }
    }
    // Entries every live tab has applied and the stores hold go, but the last record stays: it
    // tells the current LSN.
    const last = await tx.store(LOG).edgeKey(undefined, 'prev')
    const cut = Math.min(min, dumped, ((last as number | undefined) ?? 0) - 1)
    if (cut > 0) fire(tx.store(LOG).delete(KeyRange.upperBound(cut)))
    await tx.done
    this.reported = applier.applied
  }
}
