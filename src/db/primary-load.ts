/**
 * Primary tables in the handle (src/primary/), loaded when first needed: on the first `join`, or,
 * in a tab that never joins, as soon as its mirror of the leader tab's roles holds a role
 * (node/primary-mirror.ts). From that moment until the module is there, the tab's commits wait
 * for it (a stand-in commit route), so none of them bypasses its primary. An app that never
 * joins a room, in a node that never did, loads none of it.
 *
 * @module
 */
import type { LocalNode } from '../node.js'
import type { PrimaryHost } from '../primary/host.js'
import type { PrimaryTables } from '../primary/primary.js'
import { commitRouteOf, setCommitRoute } from '../txn/route.js'

/** The handle's primary tables, loaded once. */
export class PrimaryLoader {
  /** The loaded module's instance (null until loaded). */
  tables: PrimaryTables | null = null
  private loading: Promise<PrimaryTables> | null = null
  private readonly off: () => void
  private closed = false

  constructor(
    private readonly local: LocalNode,
    private readonly host: PrimaryHost,
  ) {
    const mirror = local.tabs.primary
    this.off = mirror.onFirstRole(() => {
      this.routeFirst()
    })
    // The leader's answer to this tab's 'who-leads' may have come while the node was opening.
    if (mirror.roles.size > 0) this.routeFirst()
  }

  /** A role is known: this tab's commits wait for primary tables, which load now. */
  private routeFirst(): void {
    if (this.tables || this.closed) return
    const local = this.local
    setCommitRoute(local, async (c) => {
      await this.load()
      const route = commitRouteOf(local)
      return route ? route(c) : 'local'
    })
    void this.load().catch((e: unknown) => {
      local.reportError(e)
    })
  }

  /** Loads primary tables (once); they route this tab's commits from then on. */
  load(): Promise<PrimaryTables> {
    this.loading ??= import('../primary/primary.js').then(({ PrimaryTables }) => {
      this.tables ??= new PrimaryTables(this.host)
      if (this.closed) this.tables.close()
      return this.tables
    })
    return this.loading
  }

  /** Stops (the handle closes). */
  close(): void {
    this.closed = true
    this.off()
    this.tables?.close()
    if (!this.tables) setCommitRoute(this.local, null)
  }
}
