/**
 * The {@link ClusterView} a tab routes by: the replicator's port in the tab that replicates, the
 * mirror of the leader's roles in the node's other tabs (node/primary-mirror.ts); and the
 * snapshot of the port that the leader's beat carries to them.
 *
 *     replicating tab:  port ──► view ;  port ──► snapshot ──► beat ──► other tabs' mirrors
 *     other tabs:       mirror ──► view (links as of the last beat, and only while a tab leads)
 *
 * @module
 */
import type { LocalNode } from '../node.js'
import type { MirrorSnapshot } from '../node/primary-mirror.js'
import type { PrimaryPort } from '../replication/primary-link.js'
import type { ClusterView } from './host.js'

/** The port as a view. */
export function portView(port: PrimaryPort): ClusterView {
  return {
    self: port.self,
    role: (t) => port.role(t),
    roles: () => port.roles(),
    isUp: (n) => port.isUp(n),
    lastSync: (n) => (port.isUp(n) ? Date.now() : port.lastHeard(n)),
  }
}

/** The mirror as a view; null while it holds no role (no primary table is known to this tab). */
export function mirrorView(node: LocalNode): ClusterView | null {
  const mirror = node.tabs.primary
  if (mirror.roles.size === 0) return null
  const leads = (): boolean => node.leaderTab !== null
  return {
    self: node.nodeId,
    role: (t) => mirror.roles.get(t),
    roles: () => mirror.roles,
    isUp: (n) => leads() && (n === node.nodeId || mirror.isUp(n)),
    lastSync: (n) => mirror.lastHeard(n),
  }
}

/** What the leader's beat tells the other tabs: every role, and the links to the primaries. */
export function portSnapshot(port: PrimaryPort): MirrorSnapshot {
  const roles: [string, string, number][] = []
  const primaries = new Set<string>()
  for (const [t, r] of port.roles()) {
    roles.push([t, r.node, r.epoch])
    primaries.add(r.node)
  }
  const nodes: [string, boolean, number][] = [...primaries].map((n) => (n === port.self ? [n, true, 0] : [n, port.isUp(n), port.lastHeard(n)]))
  return { roles, nodes, at: Date.now() }
}
