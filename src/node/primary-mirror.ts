/**
 * What every tab of a node knows of primary tables (src/primary/, seed 002), though only the
 * replicating (leader) tab holds the replication document where the roles live: a mirror of the
 * roles, and of how recently the leader heard from each primary. The tab protocol
 * (tab-protocol.ts) keeps it current:
 *
 *     leader's beat (every second) and its answer to 'who-leads' ──► the whole mirror (snapshot)
 *     'primary_changed' system event (any tab)                    ──► one role, at once
 *
 * A tab that does not replicate routes its transactions over primary tables by this mirror
 * (src/primary/primary.ts): through the leader tab to the primary, or as an ordinary commit when
 * its own node is the primary. Only plain data here: the node layer knows no replication.
 *
 * @module
 */

/** A primary role as the mirror holds it (replication/doc.ts `PrimaryRole`, structurally). */
export interface MirroredRole {
  readonly node: string
  readonly epoch: number
}

/** The leader tab's view, as it travels to the other tabs (plain data, structured-cloned). */
export interface MirrorSnapshot {
  /** Every role in the leader's document: table, node, epoch. */
  readonly roles: readonly (readonly [string, string, number])[]
  /** Per primary node: whether a live link reaches it, and when the leader last heard from it (ms; 0: never). */
  readonly nodes: readonly (readonly [string, boolean, number])[]
  /** When the leader took the snapshot (ms since the epoch). */
  readonly at: number
}

/** One tab's mirror. */
export class PrimaryMirror {
  /** table → role. */
  readonly roles = new Map<string, MirroredRole>()
  private nodes = new Map<string, { up: boolean; heard: number }>()
  private at = 0
  private readonly listeners = new Set<() => void>()

  /** Takes a leader's snapshot (the roles it lists replace the ones held, unless an event brought a later epoch). */
  take(s: MirrorSnapshot): void {
    const before = this.roles.size
    const next = new Map<string, MirroredRole>()
    for (const [table, node, epoch] of s.roles) {
      const held = this.roles.get(table)
      next.set(table, held && held.epoch > epoch ? held : { node, epoch })
    }
    this.roles.clear()
    for (const [t, r] of next) this.roles.set(t, r)
    this.nodes = new Map(s.nodes.map(([n, up, heard]) => [n, { up, heard }]))
    this.at = s.at
    if (before === 0 && this.roles.size > 0) this.notify()
  }

  /** A role moved (a `primary_changed` event). */
  moved(table: string, node: string, epoch: number): void {
    const held = this.roles.get(table)
    if (held && held.epoch > epoch) return
    const first = this.roles.size === 0
    this.roles.set(table, { node, epoch })
    if (first) this.notify()
  }

  /** True when the leader's last snapshot said a live link reaches `node`. */
  isUp(node: string): boolean {
    return this.nodes.get(node)?.up === true
  }

  /**
   * When this node last heard from `node`, as of the leader's last snapshot: the snapshot's time
   * while the link was up, else the last frame's (0: never).
   */
  lastHeard(node: string): number {
    const n = this.nodes.get(node)
    if (!n) return 0
    return n.up ? this.at : n.heard
  }

  /** Calls `fn` when the mirror first holds a role (a tab that never joined loads primary tables then). */
  onFirstRole(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private notify(): void {
    for (const fn of [...this.listeners]) fn()
  }
}

/** The leader tab's answer to a transaction another tab of the node forwarded to the primary. */
export interface ForwardAnswer {
  /** 'unreachable': no answer came from the primary (or no link reaches it). */
  readonly outcome: 'committed' | 'conflict' | 'refused' | 'unreachable'
  /** The leader tab's applied LSN once it held the outcome (the asking tab waits for it: read-your-writes). */
  readonly lsn: number
}
