/**
 * The demo's node panel: joins the room, shows this node, the tab replicating for it, the peers
 * (node up / down) and where every table has copies, with buttons to change this node's copy, make
 * this node a table's master, and switch the network off and on (leave / join) to show offline
 * writes merging and `inconsistent_database` after a partition.
 */
import type { Database, StorageType, SystemEvent } from '../src/index.js'
import { isShopTable, type Shop, type ShopDb } from './schema.js'
import { signalingUrl, syncServerUrl } from './signal.js'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const STORAGE: StorageType[] = ['ram_copies', 'disc_copies', 'disc_only_copies']

/** The room: `?room=…` in the address, else one shared room for the demo. */
export function roomName(): string {
  return new URLSearchParams(location.search).get('room') ?? 'webnesia-demo'
}

/** Runs the node panel. `log` writes a line to the event pane. */
export async function startNetwork(db: ShopDb, log: (text: string, kind: 'system' | 'warn') => void): Promise<void> {
  const peers = new Set<string>()
  const signaling = await signalingUrl()
  const server = await syncServerUrl() // WEBNESIA_SYNC=1 npm run demo: through a y-websocket server
  let online = false
  const room = roomName()
  $('room').textContent = room

  const join = async (): Promise<void> => {
    if (server) await db.join({ room, server, resyncMs: 2000 })
    else await db.join({ room, signaling: [signaling], peerOpts: { config: { iceServers: [] } }, resyncMs: 2000 })
    online = true
  }
  const render = (): void => {
    $('leader').textContent = db.replication ? 'this tab' : online ? 'another tab' : '—'
    const sw = $<HTMLButtonElement>('net-switch')
    sw.textContent = online ? 'Go offline' : 'Go online'
    sw.setAttribute('aria-pressed', String(!online))
    $('net-state').textContent = online ? 'online' : 'offline'
    $('net-state').className = `pill ${online ? 'on' : 'off'}`
    const list = $('peers')
    list.replaceChildren(
      ...([...peers].sort().map((p) => {
        const li = document.createElement('li')
        li.textContent = p
        li.dataset['node'] = p
        return li
      }) as HTMLElement[]),
    )
    if (peers.size === 0) {
      const li = document.createElement('li')
      li.className = 'muted'
      li.textContent = online ? 'none yet: open this page in another browser (or a private window)' : 'offline'
      list.append(li)
    }
    renderCopies()
    renderPrimary()
  }
  const renderCopies = (): void => {
    const rows = (db.systemInfo('tables') as string[]).filter(isShopTable).flatMap((t) => {
      try {
        return [copyRow(t)]
      } catch {
        return [] // deleted meanwhile: the next event renders again
      }
    })
    $('copies').replaceChildren(...rows)
  }
  const copyRow = (t: keyof Shop): HTMLTableRowElement => {
    const tr = document.createElement('tr')
    tr.dataset['table'] = t
    const names = (ns: string[]): string => ns.map((n) => (n === db.node ? 'me' : n.slice(0, 10))).join(', ') || '—'
    const primary = primaryOf(t)
    const cells = [
      t,
      db.tableInfo(t, 'type'),
      names(db.tableInfo(t, 'ramCopies')),
      names(db.tableInfo(t, 'discCopies')),
      names(db.tableInfo(t, 'discOnlyCopies')),
      names(db.tableInfo(t, 'masterNodes')),
      primary === undefined ? '—' : names([primary]),
    ]
    for (const c of cells) {
      const td = document.createElement('td')
      td.textContent = c
      tr.append(td)
    }
    const actions = document.createElement('td')
    const sel = document.createElement('select')
    sel.setAttribute('aria-label', `Storage type of this node's copy of ${t}`)
    for (const s of STORAGE) sel.append(new Option(s, s, false, s === db.tableInfo(t, 'storageType')))
    sel.addEventListener('change', () => {
      void db.changeTableCopyType(t, db.node, sel.value as StorageType).then(render, (e: unknown) => log(`changeTableCopyType: ${(e as Error).message}`, 'warn'))
    })
    const master = document.createElement('button')
    master.className = 'ghost'
    master.textContent = 'Make me master'
    master.setAttribute('aria-label', `Make this node the master of ${t}`)
    master.addEventListener('click', () => {
      void db.setMasterNodes(t, [db.node]).then(render, (e: unknown) => log(`setMasterNodes: ${(e as Error).message}`, 'warn'))
    })
    actions.append(sel, ' ', master)
    // A copy on each connected peer that has none yet (it creates the table and copies it in).
    const holders = new Set([...db.tableInfo(t, 'ramCopies'), ...db.tableInfo(t, 'discCopies'), ...db.tableInfo(t, 'discOnlyCopies')])
    for (const p of [...peers].sort()) {
      if (holders.has(p)) continue
      const add = document.createElement('button')
      add.className = 'ghost'
      add.textContent = `Copy to ${p.slice(0, 10)}`
      add.setAttribute('aria-label', `Add a disc copy of ${t} on node ${p}`)
      add.addEventListener('click', () => {
        void db.addTableCopy(t, p, 'disc_copies').then(render, (e: unknown) => log(`addTableCopy: ${(e as Error).message}`, 'warn'))
      })
      actions.append(' ', add)
    }
    if ([...holders].some((n) => n !== db.node)) {
      // Mnesia's del_table_copy: this node's copy goes, the table lives on at the others.
      const drop = document.createElement('button')
      drop.className = 'ghost'
      drop.textContent = 'Drop my copy'
      drop.setAttribute('aria-label', `Drop this node's copy of ${t}`)
      drop.addEventListener('click', () => {
        void db.delTableCopy(t, db.node).then(render, (e: unknown) => log(`delTableCopy: ${(e as Error).message}`, 'warn'))
      })
      actions.append(' ', drop)
    }
    tr.append(actions)
    return tr
  }

  // Primary tables (seed 002): who commits stock and order, how this tab reads them, and how
  // long ago this copy heard from the primary (its staleness while the primary is away).
  // The typed Shop view does not list these items; the untyped view of the same handle does.
  const primaryOf = (t: string): string | undefined => (db as unknown as Database).tableInfo(t, 'primary') as string | undefined
  const renderPrimary = (): void => {
    const primary = primaryOf('stock')
    $('primary-node').textContent = primary === undefined ? 'none (every node commits its own writes)' : primary === db.node ? 'this node' : primary
    $('read-routing').textContent = primary === undefined ? 'local' : 'replica (slave basis; writes validated at the primary)'
    const at = (db as unknown as Database).tableInfo('stock', 'lastSync') as number | undefined
    $('staleness').textContent = primary === undefined ? '—' : at === undefined ? 'never' : Date.now() - at < 1000 ? 'now (connected)' : `${((Date.now() - at) / 1000).toFixed(1)} s ago`
  }
  setInterval(renderPrimary, 1000)
  $('make-primary').addEventListener('click', () => {
    void (async () => {
      // Right after a join this node may still be taking the cluster's copy of a table (it drops
      // its own first): setPrimary would find no table. Wait until both are here.
      await db.waitForTables(['stock', 'order'], 30_000)
      await db.setPrimary('stock', db.node)
      await db.setPrimary('order', db.node)
      render()
    })().catch((e: unknown) => log(`setPrimary: ${(e as Error).message}`, 'warn'))
  })
  db.subscribe('system', (ev: SystemEvent) => {
    switch (ev.type) {
      case 'node_up':
        peers.add(ev.node)
        break
      case 'node_down':
        peers.delete(ev.node)
        break
      case 'primary_changed':
        // A role lives in the replication document only: this event is what re-renders the copies.
        log(`primary of ${ev.table}: ${ev.node === db.node ? 'this node' : ev.node} (epoch ${ev.epoch})`, 'system')
        break
      case 'inconsistent_database':
        log(`partition healed: ${ev.tables.join(', ')} written on both sides (with ${ev.nodes.join(', ')}). Master nodes decide; elsewhere the CRDT merge did.`, 'warn')
        $('partition').hidden = false
        $('partition').textContent = `Partition detected on ${ev.tables.join(', ')} — resolved ${new Date().toLocaleTimeString()}`
        break
      default:
        break
    }
    render()
  })
  $('net-switch').addEventListener('click', () => {
    void (async () => {
      if (online) {
        await db.leave()
        online = false
        peers.clear()
      } else {
        await join()
      }
      render()
    })().catch((e: unknown) => log(`network: ${(e as Error).message}`, 'warn'))
  })
  await join()
  render()
}
