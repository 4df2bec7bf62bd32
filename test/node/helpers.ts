/** Helpers for unit tests that drive the public API in Node (fake-indexeddb). */
import { openDatabase, type Database } from '../../src/index.js'

let n = 0
/** A database name no other test uses. */
export function uniqueName(prefix = 'db'): string {
  return `${prefix}-${String(++n)}-${Math.random().toString(36).slice(2, 8)}`
}

/** Opens a fresh node; `handles` more handles on the same name behave like other tabs. */
export async function fresh(handles = 1): Promise<Database[]> {
  const name = uniqueName()
  const out: Database[] = []
  for (let i = 0; i < handles; i++) out.push(await openDatabase({ name }))
  return out
}

/** Lets BroadcastChannel messages between handles arrive (they are delivered as tasks). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0))
}

/**
 * Brings every handle up to date with the log (what a tab does when it hears "LSN n is there"),
 * without waiting for the BroadcastChannel message to arrive.
 */
export async function settle(...dbs: Database[]): Promise<void> {
  for (const db of dbs) await (db as unknown as { local: { catchUp(): Promise<void> } }).local.catchUp()
}
