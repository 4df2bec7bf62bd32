/**
 * What the parts of the replicator share: the node, its committer, the replication document, the
 * options, and the replicator's work queue (every remote change and schema follow-up runs there,
 * one at a time, in arrival order). `replicator.ts` makes one and hands it to every part.
 *
 * @module
 */
import type { LocalNode } from '../node.js'
import type { StorageType } from '../schema/table-def.js'
import type { Committer } from '../txn/committer.js'
import type { ReplicaDoc } from './doc.js'
import type { FaultOptions } from './faults.js'

/** Options of a replicator. */
export interface ReplicatorOptions {
  /** Storage type of the copies this node adds when it joins (default 'disc_copies'). */
  copyType?: StorageType
  /** Fault injection on every pipe (tests). */
  faults?: FaultOptions
  /** Anti-entropy: every this many ms each peer is asked for what this node lacks (default 5000; 0: never). */
  resyncMs?: number
  /** How long a sync transaction waits for acknowledgements (default 5000 ms). */
  ackTimeoutMs?: number
  /** Keys per commit while copying a table (default 5000). */
  copyBatch?: number
  /** Every this many ms each peer gets a BEAT (default 1000; 0: none, and no peer times out). */
  heartbeatMs?: number
  /** A peer heard nothing from for this long is taken as gone: its link closed, `node_down` (default 5000 ms). */
  peerTimeoutMs?: number
}

/** The replicator's shared state, as its parts see it. */
export interface ReplicationContext {
  readonly node: LocalNode
  readonly committer: Committer
  readonly rdoc: ReplicaDoc
  readonly opts: ReplicatorOptions
  /** This node's id. */
  readonly self: string
  /** True once the replicator stopped. */
  stopped(): boolean
  /** Runs `job` after every job queued before it (errors are reported, not thrown). */
  enqueue(job: () => Promise<void>): void
  /** Resolves when the jobs queued so far have run. */
  drain(): Promise<void>
}

/** The name of the local table whose cookie is `cookie` (null: no copy here). */
export function tableOfCookie(node: LocalNode, cookie: string): string | null {
  for (const rt of node.catalog.tables.values()) if (rt.def.cookie === cookie) return rt.def.name
  return null
}
