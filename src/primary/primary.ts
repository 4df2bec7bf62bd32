/**
 * Primary tables and read routing (seed 002; API.md "Read routing and primary tables"): one node
 * commits a table's writes for the whole cluster (Mnesia's cross-node transactions, LastaFlute's
 * master / slave with "slave basis" reads). One {@link PrimaryTables} per handle: it is the tab's
 * commit route (src/txn/route.ts) and its primary service (src/replication/primary-link.ts).
 *
 *     setPrimary(tab, node) ──► role { node, epoch + 1 } in the replication document (every node)
 *     a transaction here ──► route:
 *         no primary table written or read-validated ──► 'local' (the ordinary commit)
 *         this node is the primary ──► 'local' (it commits for the cluster)
 *         else ──► forward.ts: reads by value + writes ──► the primary (serve.ts)
 *               committed ──► wait until this copy holds the commit (read-your-writes) ──► done
 *               conflict  ──► wait until this copy caught up ──► the function runs again
 *               moved     ──► the role moved (fencing): wait for the primary's roles, run again
 *               no answer / primary down ──► PrimaryUnavailableError, or queued (queue.ts)
 *
 * Decisions (ARCHITECTURE.md "Primary tables"): a transaction that writes a primary table may
 * write no ordinary replicated table (the two sides cannot commit atomically: refused with
 * `not_supported`), and all the primary tables it writes must have one primary. It may read
 * ordinary tables: those reads are replica reads, validated here before the request goes.
 *
 * Every tab of the node routes (view.ts): the replicating tab by its replication document, the
 * others by the mirror of its roles (node/primary-mirror.ts). A tab that does not replicate
 * builds the request from its own memory (what its function read) and hands it to the
 * replicating tab (node/tab-protocol.ts `pfwd`), which sends it to the primary and answers once
 * it holds the outcome; this tab then waits until it holds it too. db.ts loads this module in a
 * tab that never joined as soon as the mirror holds a role.
 *
 * @module
 */
import { PrimaryUnavailableError, TransactionAbortedError, WebnesiaError } from '../errors.js'
import type { PrimaryPort, PrimaryService } from '../replication/primary-link.js'
import { setPrimaryService } from '../replication/primary-link.js'
import { setCommitRoute, type RoutedCommit, type RouteOutcome } from '../txn/route.js'
import { checkSetPrimary, notReplicating } from './args.js'
import { buildRequest, newRid, Requests } from './forward.js'
import { PRIMARY_TIMEOUT_MS, TAB_FORWARD_TIMEOUT_MS, type ClusterView, type Forwarded, type PrimaryHost } from './host.js'
import { checkRequest, type PrimaryReply, type PrimaryRequest } from './messages.js'
import { PrimaryQueue } from './queue.js'
import { PrimaryServer } from './serve.js'
import { mirrorView, portSnapshot, portView } from './view.js'

/** The primary tables of one handle. */
export class PrimaryTables implements PrimaryService {
  private readonly server: PrimaryServer
  private readonly requests = new Requests()
  readonly queue: PrimaryQueue
  private readonly withdraw: (() => void)[]

  constructor(private readonly host: PrimaryHost) {
    this.server = new PrimaryServer(host)
    this.queue = new PrimaryQueue(host, () => this.view(), (primary, req) => this.forward(primary, req))
    this.queue.resume()
    setCommitRoute(host.node, (c) => this.route(c))
    setPrimaryService(host.node, this)
    // While this tab replicates, the node's other tabs mirror its roles and route through it.
    const hooks = host.node.hooks
    this.withdraw = [
      hooks.provide('primaryMirror', () => {
        const port = host.port()
        return port ? portSnapshot(port) : null
      }),
      hooks.provide('primaryForward', async (primary, body) => {
        const r = host.port() ? await this.forward(primary, checkRequest(body)) : null
        return { outcome: r ?? 'unreachable', lsn: host.node.applied }
      }),
    ]
  }

  /** Stops (the handle closes). */
  close(): void {
    this.queue.close()
    setCommitRoute(this.host.node, null)
    setPrimaryService(this.host.node, null)
    for (const off of this.withdraw) off()
  }

  /** What this tab routes by (null: no primary table is known here). */
  private view(): ClusterView | null {
    const port = this.host.port()
    return port ? portView(port) : mirrorView(this.host.node)
  }

  /** A PREQ or PREPLY from a peer (src/replication/protocol.ts). */
  receive(port: PrimaryPort, from: string, kind: 'preq' | 'preply', id: number, body: unknown): void {
    if (kind === 'preq') this.server.receive(port, from, id, body)
    else this.requests.reply(from, id, body)
  }

  /**
   * Gives `table`'s primary role to `node` with the next epoch (fail-over or a planned move).
   * @throws WebnesiaError `'bad_type'` / `'no_exists'` for a bad table, `'badarg'` for a bad node,
   * `'not_supported'` when this tab does not replicate or the table is local content;
   * PrimaryUnavailableError when `node` is neither this node nor connected, or holds no copy.
   */
  setPrimary(table: string, node: string): void {
    checkSetPrimary(this.host.node, table, node)
    const port = this.host.port()
    if (!port) notReplicating()
    if (node !== port.self && !port.isUp(node)) throw new PrimaryUnavailableError(table, node, `setPrimary: node ${node} is not reachable`)
    const copies = this.host.node.hooks.service('copiesOf')?.(table)
    if (copies && !copies.has(node)) throw new PrimaryUnavailableError(table, node, `setPrimary: node ${node} holds no copy`)
    port.setRole(table, { node, epoch: (port.role(table)?.epoch ?? 0) + 1 })
  }

  /** `tableInfo(table, 'primary' | 'lastSync')`. */
  info(table: string, item: 'primary' | 'lastSync'): string | number | undefined {
    const view = this.view()
    const role = view?.role(table)
    if (!view || !role) return undefined
    if (item === 'primary') return role.node
    if (role.node === view.self) return Date.now()
    const at = view.lastSync(role.node)
    return at === 0 ? undefined : at
  }

  /** The commit route (src/txn/route.ts). */
  private async route(c: RoutedCommit): Promise<RouteOutcome> {
    const view = this.view()
    if (!view) return 'local'
    const roles = view.roles()
    if (roles.size === 0) return 'local'
    const written: string[] = []
    const ordinary: string[] = []
    for (const t of c.writes.tables.keys()) {
      if (roles.has(t)) written.push(t)
      else if (this.host.node.catalog.tables.get(t)?.def.localContent !== true) ordinary.push(t)
    }
    const read = new Set<string>()
    for (const r of c.reads?.keys ?? []) if (roles.has(r.t)) read.add(r.t)
    for (const t of c.reads?.tables.keys() ?? []) if (roles.has(t)) read.add(t)
    if (written.length === 0 && (read.size === 0 || !this.readsAtPrimary(c, [...read]))) return 'local'
    if (written.length > 0 && ordinary.length > 0) {
      throw new WebnesiaError(
        'not_supported',
        `a transaction may not write primary tables (${written.join(', ')}) and ordinary replicated tables (${ordinary.join(', ')}) together`,
      )
    }
    const tables = new Map<string, number>()
    for (const t of [...written, ...read]) tables.set(t, (roles.get(t) as { epoch: number }).epoch)
    const primaries = new Set([...tables.keys()].map((t) => (roles.get(t) as { node: string }).node))
    if (primaries.size > 1) {
      throw new WebnesiaError('not_supported', `the primary tables of one transaction must have one primary (${[...tables.keys()].join(', ')})`)
    }
    const primary = [...primaries][0] as string
    if (primary === view.self) return 'local'
    const req = await buildRequest(this.host.node, c, tables, newRid(view.self))
    if (!req) return 'conflict'
    const first = written[0] ?? [...read][0] ?? ''
    if (!view.isUp(primary)) {
      if (written.length > 0 && c.routing.whenPrimaryDown === 'queue') return this.queue.enqueue(req)
      throw new PrimaryUnavailableError(first, primary, `the primary ${primary} is not reachable`)
    }
    const r = await this.forward(primary, req)
    if (r === null) {
      if (written.length > 0 && c.routing.whenPrimaryDown === 'queue') return this.queue.enqueue(req)
      throw new PrimaryUnavailableError(first, primary, `no answer from the primary ${primary}`, written.length > 0)
    }
    if (r === 'refused') throw new TransactionAbortedError(`the primary ${primary} refused the transaction`)
    return r
  }

  /**
   * Sends a request to the primary (from another tab of the node: through the replicating tab)
   * and waits for this copy to hold the outcome; null when the primary did not answer in time.
   */
  private async forward(primary: string, req: PrimaryRequest): Promise<Forwarded> {
    const port = this.host.port()
    if (!port) {
      const node = this.host.node
      const a = await node.tabs.forwardPrimary(primary, req, TAB_FORWARD_TIMEOUT_MS)
      if (!a || a.outcome === 'unreachable') return null
      // Read-your-writes in this tab too: it holds what the replicating tab held when it answered.
      if (node.applied < a.lsn) node.requestCatchUp()
      await node.waitApplied(a.lsn)
      return a.outcome
    }
    const reply: PrimaryReply | null = await this.requests.send(port, primary, req, PRIMARY_TIMEOUT_MS)
    if (!reply) return null
    // Read-your-writes: the transaction resolves once this node holds its commit; after a
    // conflict or a moved role, the function runs again once this copy caught up with the primary.
    if (reply.pos) await port.waitPosition(reply.pos, PRIMARY_TIMEOUT_MS)
    switch (reply.ok) {
      case 'committed':
      case 'valid':
        return 'committed'
      case 'conflict':
      case 'moved':
        return 'conflict'
      case 'refused':
        return 'refused'
    }
  }

  /** True when the transaction's reads of these primary tables must be validated at the primary. */
  private readsAtPrimary(c: RoutedCommit, tables: string[]): boolean {
    if (c.routing.reads === 'primary') return true
    const max = c.routing.maxStalenessMs
    if (max === undefined) return false
    for (const t of tables) {
      const at = this.info(t, 'lastSync')
      if (typeof at !== 'number' || Date.now() - at > max) return true
    }
    return false
  }
}
