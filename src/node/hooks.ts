/**
 * The node's hook registry (Mnesia's per-table commit hooks, for the whole node): the modules that
 * follow the log register here instead of overwriting slots on the node.
 *
 * - {@link NodeHooks.onApplied}: called after each entry entered this tab's memory, in LSN order,
 *   exactly once per entry, in registration order (the node registers dump bookkeeping, then the
 *   events; replication registers its capture when it starts). Returns the unsubscribe function.
 * - {@link NodeHooks.onLoaded}: called when the tab (re)loaded the node from the stores.
 * - {@link NodeHooks.provide}: a service another module offers while it runs (replication:
 *   `replicated`, `peers`, `copiesOf`; primary tables: `primaryMirror`, `primaryForward`), read with {@link NodeHooks.service}; `provide` returns the
 *   function that withdraws it (as does {@link NodeHooks.withdraw}).
 *
 * @module
 */
import type { Origin } from '../events/subscriptions.js'
import type { LogEntry } from '../log/entry.js'
import type { StorageType } from '../schema/table-def.js'
import type { ForwardAnswer, MirrorSnapshot } from './primary-mirror.js'

/** A hook on applied entries. */
export type AppliedHook = (entry: LogEntry, origin: Origin) => void

/** The services a running module may provide to the node (replication, today). */
export interface NodeServices {
  /** Waits until the peers connected now hold commit `lsn`; resolves with the nodes not reached. */
  replicated: (lsn: number) => Promise<string[]>
  /** The peers connected now. */
  peers: () => string[]
  /** The nodes holding copies of a table, by storage type. */
  copiesOf: (table: string) => Map<string, StorageType>
  /** Primary tables, in the replicating tab: the roles and links the other tabs mirror (node/primary-mirror.ts). */
  primaryMirror: () => MirrorSnapshot | null
  /** Primary tables, in the replicating tab: sends another tab's request to `primary`, answers once this tab holds the outcome. */
  primaryForward: (primary: string, request: unknown) => Promise<ForwardAnswer>
}

/** The registry. */
export class NodeHooks {
  private applied: AppliedHook[] = []
  private loaded: ((lsn: number) => void)[] = []
  private readonly services: { [K in keyof NodeServices]?: NodeServices[K] } = {}

  /** Registers a hook on applied entries; returns the function that removes it. */
  onApplied(fn: AppliedHook): () => void {
    this.applied = [...this.applied, fn]
    return () => {
      this.applied = this.applied.filter((f) => f !== fn)
    }
  }

  /** Calls every applied-entry hook (the applier does, once per entry). */
  runApplied(entry: LogEntry, origin: Origin): void {
    for (const fn of this.applied) fn(entry, origin)
  }

  /**
   * Registers a hook called when the tab (re)loaded the node at `lsn` (memory was rebuilt from the
   * stores: what followed the log before starts again from there). Synchronous, like the load's end.
   */
  onLoaded(fn: (lsn: number) => void): () => void {
    this.loaded = [...this.loaded, fn]
    return () => {
      this.loaded = this.loaded.filter((f) => f !== fn)
    }
  }

  /** Calls every load hook. */
  runLoaded(lsn: number): void {
    for (const fn of this.loaded) fn(lsn)
  }

  /** Offers a service; returns the function that withdraws it (if it is still this one). */
  provide<K extends keyof NodeServices>(name: K, fn: NodeServices[K]): () => void {
    this.services[name] = fn
    return () => {
      if (this.services[name] === fn) delete this.services[name]
    }
  }

  /** Withdraws a service, whoever provided it. */
  withdraw(name: keyof NodeServices): void {
    delete this.services[name]
  }

  /** The service, or null when nobody provides it now. */
  service<K extends keyof NodeServices>(name: K): NodeServices[K] | null {
    return (this.services[name]) ?? null
  }
}
