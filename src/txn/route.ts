/**
 * Where a transaction's commit goes (primary tables, seed 002): the seam through which a layer
 * above the transactions (src/primary/) takes over the commit of a transaction that writes, or
 * must read at, a table another node commits for the cluster. Without a route, or when the route
 * answers 'local', the transaction commits through this tab's {@link Committer} as always.
 *
 *     Runner.runOnce ──► fn ran, still valid ──► route(commit) ──► 'local'     : Committer.submit
 *                                                              ├─► 'committed' : done (fn's value)
 *                                                              └─► 'conflict'  : run fn again
 *
 * @module
 */
import { WebnesiaError, safeString } from '../errors.js'
import type { LocalNode } from '../node.js'
import type { ReadSet, WriteSet } from './write-set.js'

/** Where a transaction reads primary tables (API.md, "Read routing and primary tables"). */
export interface ReadRouting {
  /**
   * 'replica' (the default: the local copy; a transaction that writes a primary table still has
   * its reads of it validated at the primary) or 'primary' (every read of a primary table is
   * validated at the primary: fresh, one round trip).
   */
  reads?: 'replica' | 'primary'
  /** With `reads: 'replica'`: the local copy only if it heard from the primary this recently, else as 'primary'. */
  maxStalenessMs?: number
  /** A write to a primary table whose primary is unreachable: 'reject' (default, `PrimaryUnavailableError`) or 'queue' (committed when it is back). */
  whenPrimaryDown?: 'reject' | 'queue'
}

/** Checks the read-routing options of a transaction. @throws WebnesiaError `'badarg'` */
export function checkRouting(o: ReadRouting): void {
  if (o.reads !== undefined && o.reads !== 'replica' && o.reads !== 'primary') {
    throw new WebnesiaError('badarg', `reads must be 'replica' or 'primary', got ${safeString(o.reads)}`)
  }
  if (o.maxStalenessMs !== undefined && !(typeof o.maxStalenessMs === 'number' && o.maxStalenessMs >= 0)) {
    throw new WebnesiaError('badarg', `maxStalenessMs must be a number >= 0, got ${safeString(o.maxStalenessMs)}`)
  }
  if (o.whenPrimaryDown !== undefined && o.whenPrimaryDown !== 'reject' && o.whenPrimaryDown !== 'queue') {
    throw new WebnesiaError('badarg', `whenPrimaryDown must be 'reject' or 'queue', got ${safeString(o.whenPrimaryDown)}`)
  }
}

/** A transaction ready to commit, as a route sees it. */
export interface RoutedCommit {
  readonly reads: ReadSet | null
  readonly writes: WriteSet
  readonly routing: ReadRouting
  /** True while every read of the transaction is still current in this tab's memory. */
  stillValid(): boolean
}

/** A route's answer. */
export type RouteOutcome = 'local' | 'committed' | 'conflict'

/** A commit route. */
export type CommitRoute = (commit: RoutedCommit) => Promise<RouteOutcome>

const routes = new WeakMap<LocalNode, CommitRoute>()

/** Sets (or with null removes) the commit route of a tab. */
export function setCommitRoute(node: LocalNode, route: CommitRoute | null): void {
  if (route) routes.set(node, route)
  else routes.delete(node)
}

/** The commit route of a tab (undefined: every commit is local). */
export function commitRouteOf(node: LocalNode): CommitRoute | undefined {
  return routes.get(node)
}
