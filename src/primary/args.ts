/**
 * The checks of `db.setPrimary(table, node)` that need no replication: the table and the node
 * argument. In the core (db.ts calls them while no tab replicates); the rest of primary tables is
 * loaded with replication, on `join`.
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'
import type { LocalNode } from '../node.js'
import { checkTableName, type TableDef } from '../schema/table-def.js'

/**
 * Checks `setPrimary`'s arguments, in this order: the table name, the table, the node id, local content.
 * @throws WebnesiaError `'bad_type'` / `'no_exists'` for a bad table, `'badarg'` for a bad node id,
 * `'not_supported'` for a local-content table
 */
export function checkSetPrimary(local: LocalNode, table: string, node: string): TableDef {
  checkTableName(table)
  const def = local.catalog.get(table).def
  if (typeof node !== 'string' || node.length === 0 || node.length > 200) throw new WebnesiaError('badarg', 'setPrimary: node must be a node id')
  if (def.localContent) throw new WebnesiaError('not_supported', `setPrimary: ${table} is local content (not replicated)`)
  return def
}

/** @throws WebnesiaError `'not_supported'`: this tab does not replicate */
export function notReplicating(): never {
  throw new WebnesiaError('not_supported', 'setPrimary: this tab does not replicate (join a room first, in the replicating tab)')
}
