/**
 * ram_copies snapshots between tabs: a ram_copies table has no disc copy, so a tab that opens (or
 * reloads) while others run asks a live tab for its content (`snap-req` over the tab link), and
 * every tab answers such requests with its own state at its applied LSN; the entries after it
 * reach the new tab through the log.
 *
 * @module
 */
import type { TabLink, TabMessage, TableSnapshot } from './tab-link.js'
import type { Catalog } from '../schema/catalog.js'
import { adoptRecord, type Rec } from '../storage/record.js'
import type { Key } from '../storage/term.js'
import { newId } from '../util/ids.js'
import type { Applier } from './applier.js'

/** How long a late tab waits for a ram_copies snapshot from a live tab. */
const SNAPSHOT_WAIT_MS = 5_000

type SnapMessage = Extract<TabMessage, { t: 'snap' }>

/** This tab's side of the snapshot exchange. */
export class RamSnapshots {
  private readonly waiters = new Map<string, (m: SnapMessage) => void>()

  constructor(
    private readonly catalog: Catalog,
    private readonly applier: Applier,
  ) {}

  /** True when the node has ram_copies tables (only then is a snapshot worth asking for). */
  get needed(): boolean {
    return [...this.catalog.tables.values()].some((t) => t.def.storage === 'ram_copies')
  }

  /** Asks a live tab for the ram_copies tables' content and takes it in (nothing when no tab answers). */
  async fetch(link: TabLink | null): Promise<void> {
    if (!link) return
    const others = await link.others()
    if (others.length === 0) return
    const id = newId('snap-')
    const snap = await new Promise<SnapMessage | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id)
        resolve(null)
      }, SNAPSHOT_WAIT_MS)
      this.waiters.set(id, (m) => {
        clearTimeout(timer)
        this.waiters.delete(id)
        resolve(m)
      })
      link.post({ t: 'snap-req', from: this.applier.tab, id })
    })
    if (!snap) return
    for (const ts of snap.tables) {
      const rt = this.catalog.tables.get(ts.name)
      if (!rt?.mem || rt.def.cookie !== ts.cookie || rt.def.storage !== 'ram_copies') continue
      rt.mem.clear(0)
      for (const [key, recs] of ts.slots) rt.mem.apply({ key, old: [], recs: recs.map((r) => adoptRecord(r as Record<string, unknown>)) }, 0)
      rt.loadedAt = snap.lsn
      rt.version = Math.max(rt.version, snap.lsn)
    }
  }

  /** Answers another tab's request with this tab's ram_copies state at its applied LSN. */
  answer(link: TabLink | null, m: Extract<TabMessage, { t: 'snap-req' }>): void {
    link?.post({ t: 'snap', to: m.from, id: m.id, lsn: this.applier.applied, tables: this.take() })
  }

  /** A snapshot arrived: hands it to the fetch waiting for it. */
  received(m: SnapMessage): void {
    if (m.to === this.applier.tab) this.waiters.get(m.id)?.(m)
  }

  private take(): TableSnapshot[] {
    const out: TableSnapshot[] = []
    for (const rt of this.catalog.tables.values()) {
      if (rt.def.storage !== 'ram_copies' || !rt.mem) continue
      const slots: [Key, Rec[]][] = []
      for (const s of rt.mem.slots()) slots.push([s.key, [...s.recs]])
      out.push({ name: rt.def.name, cookie: rt.def.cookie, slots })
    }
    return out
  }
}
