/**
 * `sorted-btree` ships CommonJS with `exports.default`; bundlers and Node's ESM loader disagree on
 * what a default import of it is. This module resolves it once.
 *
 * @module
 */
import BTreeImport from 'sorted-btree'

type BTreeCtor = typeof BTreeImport
/** The B+ tree class of `sorted-btree`. */
export const BTree: BTreeCtor = (BTreeImport as unknown as { default?: BTreeCtor }).default ?? BTreeImport
export type { default as BTreeType } from 'sorted-btree'
