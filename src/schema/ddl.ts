/**
 * Schema changes as the rest of the engine calls them (`db.createTable`, …, and the replication
 * loader): each loads the implementation (`ddl-ops.ts`: the version-change transaction, the
 * dumper's part in it, transforms) with a dynamic `import()` on the first schema change of the
 * page, so an app's main chunk does not carry it. Every schema change is asynchronous already: the
 * first one waits for one chunk fetch; calls keep their order (util/lazy.ts).
 *
 * @module
 */
import { Lazy } from '../util/lazy.js'
import type { LocalNode } from '../node.js'
import type { TableDef, TableOptions } from './table-def.js'
import type * as Ops from './ddl-ops.js'

const ops = new Lazy<typeof Ops>(() => import('./ddl-ops.js'))

/** Runs `fn` with the implementation: at once when loaded, else after the load. */
function run(fn: (o: typeof Ops) => Promise<void>): Promise<void> {
  const o = ops.now()
  return o ? fn(o) : ops.later(fn)
}

/** `createTable` (ddl-ops.ts). */
export function createTable(node: LocalNode, name: string, opts: TableOptions): Promise<void> {
  return run((o) => o.createTable(node, name, opts))
}

/** `deleteTable`. */
export function deleteTable(node: LocalNode, name: string): Promise<void> {
  return run((o) => o.deleteTable(node, name))
}

/** `addTableIndex`. */
export function addTableIndex(node: LocalNode, name: string, attr: string): Promise<void> {
  return run((o) => o.addTableIndex(node, name, attr))
}

/** `delTableIndex`. */
export function delTableIndex(node: LocalNode, name: string, attr: string): Promise<void> {
  return run((o) => o.delTableIndex(node, name, attr))
}

/** `setMasterNodes`. */
export function setMasterNodes(node: LocalNode, name: string, nodes: readonly string[]): Promise<void> {
  return run((o) => o.setMasterNodes(node, name, nodes))
}

/** `transformTable`: every record through `fn` (undefined deletes it), optionally under new attributes. */
export function transformTable(
  node: LocalNode,
  name: string,
  fn: (old: Record<string, unknown>) => Record<string, unknown> | undefined,
  newAttributes?: readonly string[],
): Promise<void> {
  return run((o) => o.transformTable(node, name, fn, newAttributes))
}

/** Adopts a peer's table (replication). */
export function adoptTable(node: LocalNode, def: TableDef): Promise<void> {
  return run((o) => o.adoptTable(node, def))
}

/** Takes a peer's changes of a definition (replication). */
export function redefineTable(node: LocalNode, name: string, change: Pick<TableDef, 'attributes' | 'index' | 'recordName' | 'masterNodes'>): Promise<void> {
  return run((o) => o.redefineTable(node, name, change))
}

/** Changes this node's copy of a table to another storage type. */
export function changeStorage(node: LocalNode, name: string, storage: TableDef['storage']): Promise<void> {
  return run((o) => o.changeStorage(node, name, storage))
}
