/**
 * Where primary tables (src/primary/, seed 002) plug into the replicator: a per-tab registry of
 * the {@link PrimaryService} that answers PREQ / PREPLY frames (wire.ts), and the
 * {@link PrimaryPort} the replicator lends it (links, roles in the document, positions). No yjs
 * here: the core registers its service without shipping replication.
 *
 *     PREQ / PREPLY frame ──► protocol.ts ──► service.receive(port, from, message)
 *     service ──► port.send(node, PREQ | PREPLY) ──► peers.ts (through the fault hook)
 *
 * @module
 */
import type { LocalNode } from '../node.js'
import type { PrimaryRole } from './doc.js'

export type { PrimaryRole } from './doc.js'

/** A position in a node's replication stream: the document clock of one writer. */
export interface DocPosition {
  readonly client: number
  readonly clock: number
}

/** What the replicator lends the primary tables. */
export interface PrimaryPort {
  /** This node's id. */
  readonly self: string
  /** Sends a PREQ or PREPLY to a connected node; false when no live link reaches it. */
  send(node: string, kind: 'preq' | 'preply', id: number, body: unknown): boolean
  /** True while a live link reaches `node`. */
  isUp(node: string): boolean
  /** Node ids connected now. */
  connected(): string[]
  /** The primary role of a table as this node's document has it. */
  role(table: string): PrimaryRole | undefined
  /** Every primary role in the document. */
  roles(): Map<string, PrimaryRole>
  /** Writes a role into the document (replicated to every node). */
  setRole(table: string, role: PrimaryRole): void
  /** When a frame last came from `node` (ms since the epoch; 0: never). */
  lastHeard(node: string): number
  /** This node's position after everything it wrote into the document so far. */
  position(): DocPosition
  /** Resolves true once the document holds `pos` and what came with it is committed; false after `timeoutMs`. */
  waitPosition(pos: DocPosition, timeoutMs: number): Promise<boolean>
}

/** Answers the primary-table frames of one tab. */
export interface PrimaryService {
  receive(port: PrimaryPort, from: string, kind: 'preq' | 'preply', id: number, body: unknown): void
}

const services = new WeakMap<LocalNode, PrimaryService>()

/** Registers (null: removes) the tab's primary service. */
export function setPrimaryService(node: LocalNode, service: PrimaryService | null): void {
  if (service) services.set(node, service)
  else services.delete(node)
}

/** The tab's primary service, if any. */
export function primaryService(node: LocalNode): PrimaryService | undefined {
  return services.get(node)
}
