/**
 * What primary tables need of the database handle (db.ts hands it over): the tab's node, the
 * replicator's primary port while this tab replicates, and transactions; and the
 * {@link ClusterView} they route by.
 *
 * @module
 */
import type { LocalNode } from '../node.js'
import type { PrimaryPort, PrimaryRole } from '../replication/primary-link.js'
import type { TableOptions } from '../schema/table-def.js'
import type { TransactionOptions } from '../txn/runner.js'
import type { Transaction } from '../txn/transaction.js'

/** The handle's part in primary tables. */
export interface PrimaryHost {
  readonly node: LocalNode
  /** The replicator's port while this tab replicates (null otherwise). */
  port(): PrimaryPort | null
  transaction<T>(fn: (t: Transaction) => Promise<T>, opts?: TransactionOptions): Promise<T>
  createTable(name: string, opts: TableOptions): Promise<void>
}

/** How long a replica waits for the primary's answer, and for its own copy to catch up. */
export const PRIMARY_TIMEOUT_MS = 5000

/**
 * What routing reads of the cluster: in the replicating tab, the replicator's {@link PrimaryPort};
 * in the node's other tabs, the mirror of the leader's roles (node/primary-mirror.ts).
 */
export interface ClusterView {
  /** This node's id. */
  readonly self: string
  role(table: string): PrimaryRole | undefined
  roles(): ReadonlyMap<string, PrimaryRole>
  /** True while this node reaches `node` (in another tab: as of the leader's last beat, and while a tab leads). */
  isUp(node: string): boolean
  /** When this node last heard from `node`'s side (ms since the epoch; now while linked; 0: never). */
  lastSync(node: string): number
}

/** What a request sent to the primary came to; null: no answer (or no way to send it). */
export type Forwarded = 'committed' | 'conflict' | 'refused' | null

/** How long a tab waits for the replicating tab to answer a forwarded request (it waits for the primary, then for its copy). */
export const TAB_FORWARD_TIMEOUT_MS = 2 * PRIMARY_TIMEOUT_MS + 1000
