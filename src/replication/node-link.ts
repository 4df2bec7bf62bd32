/**
 * Where replication plugs into the {@link LocalNode}: the ONLY module of `replication/` that
 * registers with the node's hook registry (node/hooks.ts). Everything else reads the node through
 * its methods (catalog, `systemEvent`, `catchUp`, `waitApplied`, …).
 *
 *     hooks.onApplied            ◄── followLog       every applied entry, in LSN order (local → document)
 *     hooks.provide('replicated') ◄── serveSync      syncTransaction: wait for the peers' acknowledgements
 *     hooks.provide('peers')     ◄── publishCluster  systemInfo('running_db_nodes'), …
 *     hooks.provide('copiesOf')  ◄── publishCluster  tableInfo's cluster-wide copy lists
 *     node.copying    ◄── copyAbandoned   a table copy that failed is no longer in progress
 *     node.lastLeaderBeat ──► leaderBeat  (session.ts) when the replicating tab last said it lives
 *     node.announceLeader ◄── announce    (session.ts) this tab replicates, or stopped
 *
 * @module
 */
import type { LogEntry } from '../log/entry.js'
import type { LocalNode } from '../node.js'
import type { StorageType } from '../schema/table-def.js'

const following = new WeakMap<LocalNode, (() => void)[]>()

function remember(node: LocalNode, off: () => void): void {
  let offs = following.get(node)
  if (!offs) following.set(node, (offs = []))
  offs.push(off)
}

/** Calls `onEntry` after each log entry the node applies, in LSN order. */
export function followLog(node: LocalNode, onEntry: (entry: LogEntry) => void): void {
  remember(
    node,
    node.hooks.onApplied((entry) => {
      onEntry(entry)
    }),
  )
}

/** Answers the node's (and its other tabs') sync transactions: `wait` resolves to the unreached peers. */
export function serveSync(node: LocalNode, wait: (lsn: number) => Promise<string[]>): void {
  remember(node, node.hooks.provide('replicated', wait))
}

/** Stops following the log and answering sync transactions. */
export function unfollow(node: LocalNode): void {
  for (const off of following.get(node)?.splice(0) ?? []) off()
}

/** What the node shows of the cluster while this tab replicates. */
export interface ClusterView {
  connected(): string[]
  copiesOf(table: string): Map<string, StorageType>
}

/** Shows the cluster (connected peers, copies) through the node; `null`: this tab stopped. */
export function publishCluster(node: LocalNode, view: ClusterView | null): void {
  if (view) {
    node.hooks.provide('peers', () => view.connected())
    node.hooks.provide('copiesOf', (t) => view.copiesOf(t))
  } else {
    node.hooks.withdraw('peers')
    node.hooks.withdraw('copiesOf')
  }
}

/** A table copy that failed midway is no longer in progress (`waitForTables` stops waiting on it). */
export function copyAbandoned(node: LocalNode, table: string): void {
  node.copying.delete(table)
}

/** When the node's replicating tab (another tab) last said it lives, in ms (0: never). */
export function leaderBeat(node: LocalNode): number {
  return node.lastLeaderBeat
}

/** Tells the node's other tabs whether this tab replicates (a beat while it does). */
export function announce(node: LocalNode, leading: boolean): void {
  node.announceLeader(leading)
}
