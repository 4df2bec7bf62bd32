/**
 * The ledger panel: each product's stock movements as an event-sourced aggregate (stream
 * `ledger-<sku>`: `Received` / `Shipped` events; a shipment larger than the stock is refused by
 * `execute`), a projection folding them into the current stock per product (`ledger_stock`, local
 * to the node), and a button that rebuilds the projection from the origin. Every tab declares
 * the projection; one of them runs it at a time.
 */
import { TableExistsError, type Database, type Origin } from '../src/index.js'

type Log = (text: string, kind: Origin | 'system' | 'warn') => void
type Move = { type: 'Receive' | 'Ship'; qty: number }

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

export async function startLedger(db: Database, log: Log): Promise<void> {
  try {
    await db.createTable('ledger_stock', { attributes: ['sku', 'count', 'moves'], localContent: true })
  } catch (e) {
    if (!(e instanceof TableExistsError)) throw e
  }
  const Stock = db.aggregate<{ count: number }, Move>('ledger', {
    initial: () => ({ count: 0 }),
    execute: (s, c) => {
      if (c.type === 'Ship' && c.qty > s.count) throw new Error(`only ${String(s.count)} in stock`)
      return [{ type: c.type === 'Receive' ? 'Received' : 'Shipped', data: { qty: c.qty } }]
    },
    apply: (s, ev) => ({ count: s.count + (ev.type === 'Received' ? 1 : -1) * (ev.data as { qty: number }).qty }),
    snapshotEvery: 50,
  })
  const projection = db.projection('ledger-stock', {
    handle: async (t, ev) => {
      if (!ev.stream.startsWith('ledger-')) return
      const sku = ev.stream.slice('ledger-'.length)
      const [row] = await t.read('ledger_stock', sku)
      const qty = (ev.data as { qty: number }).qty * (ev.type === 'Received' ? 1 : -1)
      await t.write('ledger_stock', { sku, count: ((row?.['count'] as number | undefined) ?? 0) + qty, moves: ((row?.['moves'] as number | undefined) ?? 0) + 1 })
    },
  })

  const render = async (): Promise<void> => {
    const rows = await db.dirtyMatchObject('ledger_stock', {})
    $('ledger').replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr')
        tr.dataset['sku'] = String(r['sku'])
        for (const c of [r['sku'], r['count'], r['moves']]) {
          const td = document.createElement('td')
          td.textContent = String(c)
          tr.append(td)
        }
        return tr
      }),
    )
  }
  db.subscribe({ table: 'ledger_stock' }, () => void render())
  db.subscribe('system', (ev) => {
    if (ev.type === 'stream_conflict') log(`stream_conflict: ${ev.stream} (versions from ${String(ev.version)} renumbered)`, 'warn')
  })

  const form = $<HTMLFormElement>('ledger-form')
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const data = new FormData(form)
    const raw = data.get('sku')
    const sku = typeof raw === 'string' ? raw.trim() : ''
    const qty = Number(data.get('qty'))
    const submitter = ev.submitter
    const op = submitter instanceof HTMLButtonElement && submitter.value === 'Ship' ? 'Ship' : 'Receive'
    if (sku === '' || !(qty > 0)) return
    Stock.dispatch(`ledger-${sku}`, { type: op, qty }, { consistency: ['ledger-stock'] }).then(
      (r) => {
        $('ledger-status').textContent = `${sku}: version ${String(r.version)}`
      },
      (e: unknown) => {
        $('ledger-status').textContent = `${sku}: refused (${(e as Error).message})`
      },
    )
  })
  $('ledger-rebuild').addEventListener('click', () => {
    $('ledger-status').textContent = 'rebuilding…'
    projection.rebuild().then(
      () => ($('ledger-status').textContent = 'rebuilt from the origin'),
      (e: unknown) => ($('ledger-status').textContent = `rebuild failed: ${(e as Error).message}`),
    )
  })
  await render()
}
