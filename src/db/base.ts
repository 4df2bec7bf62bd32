/**
 * The base of the public handle ({@link Database}, src/db.ts): the tab's node, its committer and
 * transaction runner, and the two helpers every operation goes through. The handle is one class
 * built in layers, one file each, so that no file holds all of it: this base, schema operations
 * (schema.ts), activities (activities.ts), dirty operations (dirty.ts), and db.ts (replication,
 * events and the application layer).
 *
 * @module
 */
import { type LocalNode } from '../node.js'
import { Committer } from '../txn/committer.js'
import { Runner } from '../txn/runner.js'
import type { Transaction } from '../txn/transaction.js'

/** The layers under {@link Database}: see the module comment. */
export abstract class DatabaseBase {
  /** @internal */
  protected readonly committer: Committer
  /** @internal */
  protected readonly runner: Runner
  private dirtyHandle: Transaction | null = null

  /** @internal Use {@link openDatabase}. */
  constructor(/** @internal */ protected readonly local: LocalNode) {
    this.committer = new Committer(local)
    this.runner = new Runner(local, this.committer)
  }

  /** The node id (stable across reloads, kept in IndexedDB). */
  get node(): string {
    return this.local.nodeId
  }

  /** The database name. */
  get name(): string {
    return this.local.name
  }

  /** @internal The long-lived handle dirty operations run on. */
  protected dirty(): Transaction {
    this.local.check()
    this.dirtyHandle ??= this.runner.dirtyHandle()
    return this.dirtyHandle
  }

  /** @internal Runs `fn` as an async call, turning synchronous throws into rejections. */
  protected async guard<T>(fn: () => Promise<T>): Promise<T> {
    this.local.check()
    return fn()
  }
}
