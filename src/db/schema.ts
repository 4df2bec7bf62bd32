/**
 * Schema operations of the public handle (a layer of {@link Database}, see db/base.ts): tables,
 * indexes, transforms, master nodes, table and system information, `dumpLog`, `waitForTables`.
 *
 * @module
 */
import { mapStorageError, WebnesiaError, safeString } from '../errors.js'
import * as ddl from '../schema/ddl.js'
import { systemInfo, tableInfo, type SystemInfoItem, type TableInfoItem } from '../schema/info.js'
import { checkTableName, type TableOptions } from '../schema/table-def.js'
import { WriteSet } from '../txn/write-set.js'
import { DatabaseBase } from './base.js'

/** Schema operations of {@link Database}. */
export abstract class SchemaOps extends DatabaseBase {
  /** @internal The primary-table items of `tableInfo` (db.ts answers them from src/primary/). */
  protected abstract primaryInfo(name: string, item: 'primary' | 'lastSync'): unknown

  // ---- schema ----

  /**
   * Creates a table (API.md, "Schema").
   * @throws TableExistsError (`'already_exists'`) when a table of that name exists; WebnesiaError (`'bad_type'`) for
   * malformed options (no attributes, duplicates, an index on the key, an unknown type or storage)
   * @example
   * await db.createTable('employee', { attributes: ['id', 'name', 'dept'], index: ['dept'], type: 'ordered_set' })
   */
  createTable(name: string, opts: TableOptions): Promise<void> {
    return this.guard(() => ddl.createTable(this.local, name, opts))
  }
  /** Deletes a table and its records. @throws NoSuchTableError (`'no_exists'`) when the table does not exist */
  deleteTable(name: string): Promise<void> {
    return this.guard(() => ddl.deleteTable(this.local, name))
  }
  /**
   * Removes every record of a table.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError (`'bad_type'`) for a name
   * that is not a table name
   */
  clearTable(name: string): Promise<void> {
    return this.guard(async () => {
      checkTableName(name)
      this.local.catalog.get(name)
      const ws = new WriteSet()
      ws.clear(name)
      await this.dirty().access.commitDirty(ws)
    })
  }
  /**
   * Adds a secondary index.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; TableExistsError (`'already_exists'`)
   * when the index exists; WebnesiaError (`'bad_type'`) for an attribute that cannot be indexed (not one of the
   * table's, or its key)
   */
  addTableIndex(name: string, attr: string): Promise<void> {
    return this.guard(() => ddl.addTableIndex(this.local, name, attr))
  }
  /**
   * Drops a secondary index.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; NoSuchTableError (`'no_exists'`) when
   * there is no index on `attr`
   */
  delTableIndex(name: string, attr: string): Promise<void> {
    return this.guard(() => ddl.delTableIndex(this.local, name, attr))
  }
  /**
   * Rewrites every record through `fn` (undefined deletes it), optionally under new attributes.
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError (`'badarg'`) when `fn` is
   * not a function; TransactionAbortedError (`'aborted'`) when `fn` throws (its error is the `reason`);
   * BadRecordError when it changes a key or returns a record that does not fit; the table is left as it was
   */
  transformTable(
    name: string,
    fn: (old: Record<string, unknown>) => Record<string, unknown> | undefined,
    newAttributes?: readonly string[],
  ): Promise<void> {
    return this.guard(() => ddl.transformTable(this.local, name, fn, newAttributes))
  }
  /**
   * Whose copy of the table wins after a partition (kept in the table's definition).
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist; WebnesiaError (`'badarg'`) when `nodes`
   * is not an array of node ids
   */
  setMasterNodes(name: string, nodes: readonly string[]): Promise<void> {
    return this.guard(async () => {
      const list: unknown = nodes
      if (!Array.isArray(list) || !list.every((n) => typeof n === 'string' && n.length > 0)) {
        throw new WebnesiaError('badarg', 'setMasterNodes: nodes must be an array of node ids (non-empty strings)')
      }
      await ddl.setMasterNodes(this.local, name, nodes)
    })
  }
  /**
   * An item of a table's information (API.md lists them); 'all' gives every item. `'primary'`: the
   * node committing the table's writes (undefined: not a primary table, or this tab does not
   * replicate); `'lastSync'`: when this copy last heard from that primary (ms since the epoch).
   * @throws NoSuchTableError (`'no_exists'`) when the table does not exist (synchronously); WebnesiaError
   * (`'badarg'`) for an unknown item
   */
  tableInfo(name: string, item: TableInfoItem | 'primary' | 'lastSync'): unknown {
    this.local.check()
    const rt = this.local.catalog.get(name)
    if (item === 'primary' || item === 'lastSync') return this.primaryInfo(rt.def.name, item)
    return tableInfo(this.local, rt, item)
  }
  /**
   * Writes every commit so far into the object stores of the disc_copies tables (Mnesia's
   * `dump_log`). Never needed for durability: a commit is durable once its log record is, and
   * the stores catch up in the background. It shortens the next load and lets the log be
   * truncated; tools that read the object stores directly call it first.
   * @throws StorageFullError (`'quota'`) when the origin's storage quota is exhausted; nothing is written
   */
  async dumpLog(): Promise<void> {
    this.local.check()
    await this.local.catchUp() // every commit of the node, the other tabs' included
    await this.local.dump().catch((e: unknown) => {
      throw e instanceof DOMException ? mapStorageError(e) : e
    })
  }
  /** An item of the node's information. @throws WebnesiaError (`'badarg'`) for an unknown item */
  systemInfo(item: SystemInfoItem): unknown {
    this.local.check()
    return systemInfo(this.local, item)
  }
  /**
   * Resolves once every table is available here; rejects with code 'timeout' (and the missing
   * tables in the message) after `timeoutMs`.
   * @throws WebnesiaError (`'badarg'`) for a bad list or timeout, `'timeout'` (naming the missing tables) after
   * `timeoutMs`
   */
  waitForTables(tables: readonly string[], timeoutMs = Infinity): Promise<void> {
    const list: readonly unknown[] = tables
    return this.guard(async () => {
      if (!Array.isArray(list) || !list.every((t) => typeof t === 'string')) throw new WebnesiaError('badarg', 'waitForTables: tables must be an array of table names')
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw new WebnesiaError('badarg', `waitForTables: bad timeout ${safeString(timeoutMs)}`)
      await this.local.catchUp()
      // A table being copied from a peer is not available until its records are all here.
      const missing = (): string[] =>
        list.filter((t) => typeof t !== 'string' || !this.local.catalog.has(t) || this.local.copying.has(t)).map(String)
      if (missing().length === 0) return
      await new Promise<void>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined
        const off = this.local.subs.addSystem(() => {
          if (missing().length > 0) return
          off()
          if (timer !== undefined) clearTimeout(timer)
          resolve()
        })
        if (Number.isFinite(timeoutMs)) {
          timer = setTimeout(() => {
            off()
            reject(new WebnesiaError('timeout', `waitForTables: not available: ${missing().join(', ')}`))
          }, timeoutMs)
        }
      })
    })
  }
}
