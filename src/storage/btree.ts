/**
 * `sorted-btree`, the B+ tree of `ordered_set` memory tables (key-store.ts) and of the file
 * backend, loaded with a dynamic `import()` the first time one is needed, so an app without an
 * ordered_set does not ship it. It ships CommonJS with `exports.default`; bundlers and Node's ESM
 * loader disagree on what its default export is: this module resolves it once.
 *
 * @module
 */
import type BTreeImport from 'sorted-btree'

/** The B+ tree class of `sorted-btree`. */
export type BTreeCtor = typeof BTreeImport
export type { default as BTreeType } from 'sorted-btree'

let ctor: BTreeCtor | null = null
let loading: Promise<BTreeCtor> | null = null

/** The B+ tree class if loaded already, else null. */
export function loadedBTree(): BTreeCtor | null {
  return ctor
}

/** The B+ tree class, loading `sorted-btree` the first time. */
export function loadBTree(): Promise<BTreeCtor> {
  loading ??= import('sorted-btree').then(
    (m) => {
      const mod = m as unknown as { default: BTreeCtor | { default?: BTreeCtor } }
      const d = mod.default as BTreeCtor & { default?: BTreeCtor }
      ctor = d.default ?? d
      return ctor
    },
    (e: unknown) => {
      loading = null // tried again by the next ordered_set
      throw e
    },
  )
  return loading
}
