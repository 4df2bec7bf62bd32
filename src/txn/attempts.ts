/**
 * The transaction attempts running in one tab, and the dirty commits the tab makes meanwhile.
 *
 * Mnesia's dirty operations take no locks: a dirty write never makes a transaction restart, even
 * one that read the key (seed 004; `mnesia:dirty_write` inside `mnesia:transaction` commits at
 * once and the transaction goes on, its later reads seeing the dirty write). webnesia validates
 * by version, so a dirty write to something a running transaction read makes that transaction
 * stale. Re-running it would be pointless when the dirty write came from the transaction
 * function itself: the next run writes again, and the transaction would loop forever.
 *
 * So each top-level attempt remembers the LSN it started from and the LSNs of the dirty commits
 * this tab applied since. When every entry applied since the attempt began is such a dirty
 * commit, the attempt is not stale in Mnesia's sense: its read versions are moved forward
 * (`Access.rebase`) instead of restarting it. Any other entry (another tab's commit, a
 * transaction of this tab, a peer's change, a schema change) keeps the usual optimistic rule: the
 * attempt restarts, which is progress made by someone else.
 *
 * @module
 */
import type { LocalNode } from '../node.js'

/** One run of a top-level transaction function. */
export class Attempt {
  private readonly own = new Set<number>()

  constructor(
    /** The node's applied LSN when the attempt began (moved forward by {@link advance}). */
    private start: number,
  ) {}

  /** Every entry up to `applied` has been accounted for (the read versions were moved forward). */
  advance(applied: number): void {
    for (let l = this.start + 1; l <= applied; l++) this.own.delete(l)
    if (applied > this.start) this.start = applied
  }

  /** Notes a dirty commit of this tab, applied while the attempt runs. */
  noteDirty(lsn: number): void {
    if (lsn > this.start) this.own.add(lsn)
  }

  /** True when every entry applied after `start`, up to `applied`, is a dirty commit of this tab. */
  onlyOwnDirty(applied: number): boolean {
    if (applied - this.start > this.own.size) return false
    for (let l = this.start + 1; l <= applied; l++) if (!this.own.has(l)) return false
    return true
  }
}

/** The attempts of one tab. */
export class Attempts {
  private readonly live = new Set<Attempt>()

  /** Starts tracking an attempt that begins at `applied`. */
  begin(applied: number): Attempt {
    const a = new Attempt(applied)
    this.live.add(a)
    return a
  }

  /** Stops tracking an attempt. */
  end(a: Attempt): void {
    this.live.delete(a)
  }

  /** Called by the committer as a dirty commit of this tab is applied (before anyone sees it). */
  dirtyApplied(lsn: number): void {
    for (const a of this.live) a.noteDirty(lsn)
  }
}

const byNode = new WeakMap<LocalNode, Attempts>()

/** The attempts registry of a tab (one per {@link LocalNode}). */
export function attemptsOf(node: LocalNode): Attempts {
  let a = byNode.get(node)
  if (!a) byNode.set(node, (a = new Attempts()))
  return a
}
