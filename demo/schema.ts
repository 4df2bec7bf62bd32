/** The demo shop's schema type: every table, its record and its key (API.md, "Typed tables"). */
import type { TableSchema, TypedDatabase } from '../src/index.js'

export interface Product {
  sku: string
  name: string
  category: string
  price: number
}

export type Shop = {
  product: TableSchema<Product, 'sku', 'category'>
  stock: TableSchema<{ sku: string; count: number }, 'sku'>
  order: TableSchema<{ id: [number, string]; sku: string; qty: number; at: number }, 'id'>
  counter: TableSchema<{ name: string; value: number }, 'name'>
  tag: TableSchema<{ sku: string; tag: string }, 'sku'>
}

/** The demo's database handle. */
export type ShopDb = TypedDatabase<Shop>

const TABLES: readonly string[] = ['product', 'stock', 'order', 'counter', 'tag']

/** Whether a table name (e.g. from `systemInfo('tables')`) is one of the shop's. */
export function isShopTable(t: string): t is keyof Shop {
  return TABLES.includes(t)
}
