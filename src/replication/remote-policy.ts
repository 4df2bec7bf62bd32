/**
 * The per-table policies for peers' changes (`db.setRemotePolicy`), kept per tab: the registry
 * only, with no replication code (and no yjs) behind it, so the core can set a policy without
 * shipping replication. What a policy means and where it applies: policy.ts.
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'
import type { LocalNode } from '../node.js'
import { checkTableName } from '../schema/table-def.js'
import type { Rec } from '../storage/record.js'
import type { Key } from '../storage/term.js'

/** A change a peer wants to make to one key. */
export interface RemoteChange {
  /** The table the change is to. */
  readonly table: string
  /** The key it changes. */
  readonly key: Key
  /** The key's records as the peer has them (empty: the peer deleted the key). */
  readonly records: readonly Rec[]
  /** The key's records on this node now. */
  readonly old: readonly Rec[]
}

/** What a node commits of its peers' changes to a table. */
export type RemotePolicy = 'accept' | 'reject' | ((change: RemoteChange, peer: string) => boolean)

const policies = new WeakMap<LocalNode, Map<string, RemotePolicy>>()

/**
 * Sets the policy for changes from peers to `table` in this tab (see the module comment).
 * @throws WebnesiaError `'bad_type'` for a bad table name, `'badarg'` for a bad policy (nothing changes)
 */
export function setRemotePolicy(node: LocalNode, table: string, policy: RemotePolicy): void {
  checkTableName(table)
  if (policy !== 'accept' && policy !== 'reject' && typeof policy !== 'function') {
    throw new WebnesiaError('badarg', `setRemotePolicy: ${table}: the policy is 'accept', 'reject' or a function`)
  }
  let m = policies.get(node)
  if (!m) policies.set(node, (m = new Map<string, RemotePolicy>()))
  if (policy === 'accept') m.delete(table)
  else m.set(table, policy)
}

/** The policy for changes from peers to `table` ('accept' unless set). */
export function remotePolicy(node: LocalNode, table: string): RemotePolicy {
  return policies.get(node)?.get(table) ?? 'accept'
}
