/**
 * What primary tables need of the database handle (db.ts hands it over): the tab's node, the
 * replicator's primary port while this tab replicates, and transactions.
 *
 * @module
 */
import type { LocalNode } from '../node.js'
import type { PrimaryPort } from '../replication/primary-link.js'
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
