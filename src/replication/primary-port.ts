/**
 * The {@link PrimaryPort} of one replicator (primary-link.ts): links, roles in the document, and
 * positions. A position is this node's document clock: the primary answers a commit with its
 * position after the commit, and a replica holds the commit once its document reached that clock
 * and the replicator's queue committed what came with it (read-your-writes across nodes).
 *
 * @module
 */
import * as Y from 'yjs'
import type { ReplicationContext } from './context.js'
import { LOCAL, type PrimaryRole } from './doc.js'
import type { Peers } from './peers.js'
import type { DocPosition, PrimaryPort } from './primary-link.js'

/** Builds the port; `heard` is the protocol's last-frame times, `resync` asks every peer for what is missing. */
export function primaryPort(ctx: ReplicationContext, peers: Peers, heard: ReadonlyMap<string, number>, resync: () => void): PrimaryPort {
  const doc = ctx.rdoc.doc
  const reached = (pos: DocPosition): boolean => Y.getState(doc.store, pos.client) >= pos.clock
  return {
    self: ctx.self,
    send(node, kind, id, body) {
      const p = peers.find(node)
      if (!p || !peers.isUp(node)) return false
      peers.send(p, { kind, id, body })
      return true
    },
    isUp: (node) => peers.isUp(node),
    connected: () => peers.connected(),
    role: (table) => ctx.rdoc.primary.get(table),
    roles: () => new Map(ctx.rdoc.primary.entries()),
    setRole(table: string, role: PrimaryRole) {
      doc.transact(() => {
        ctx.rdoc.primary.set(table, { node: role.node, epoch: role.epoch })
      }, LOCAL)
    },
    lastHeard: (node) => heard.get(node) ?? 0,
    position: () => ({ client: doc.clientID, clock: Y.getState(doc.store, doc.clientID) }),
    async waitPosition(pos, timeoutMs) {
      if (!reached(pos)) {
        const ok = await new Promise<boolean>((resolve) => {
          const onUpdate = (): void => {
            if (!reached(pos)) return
            done(true)
          }
          // Missed frames come back with anti-entropy: ask at once, and again now and then.
          const ask = setInterval(resync, Math.max(50, Math.min(1000, timeoutMs / 4)))
          const timer = setTimeout(() => {
            done(false)
          }, timeoutMs)
          const done = (v: boolean): void => {
            clearTimeout(timer)
            clearInterval(ask)
            doc.off('update', onUpdate)
            resolve(v)
          }
          doc.on('update', onUpdate)
        })
        if (!ok) return false
      }
      // The update is in the document; its commit runs on the replicator's queue.
      await ctx.drain()
      return !ctx.stopped()
    },
  }
}
