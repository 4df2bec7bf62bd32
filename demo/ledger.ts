/**
 * The ledger panel: each product's stock movements as an event-sourced aggregate (stream
 * `ledger-<sku>`: `Received` / `Shipped` events; a shipment larger than the stock is refused by
 * `execute`), a projection folding them into the current stock per product (`ledger_stock`, local
 * to the node), and a button that rebuilds the projection from the origin. Every tab declares
 * the projection; one of them runs it at a time. The event store's tables are created on the
 * panel's first use (a tab starts the panel at once when another tab or an earlier visit did).
 */
import { TableExistsError, type Database, type Origin } from '../src/index.js'

type Log = (text: string, kind: Origin | 'system' | 'warn') => void
type Move = { type: 'Receive' | 'Ship'; qty: number }

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

/** Wires the panel; the ledger starts on first use, or at once when its table exists. */
export function mountLedger(db: Database, log: Log): void {
  let started: Promise<Ledger> | null = null
  const start = (): Promise<Ledger> => (started ??= startLedger(db, log))
  const fail = (e: unknown): void => {
    $('ledger-status').textContent = `error: ${(e as Error).message}`
  }
  if ((db.systemInfo('tables') as string[]).includes('ledger_stock')) start().catch(fail)
  db.subscribe('system', (ev) => {
    if (ev.type === 'table_created' && ev.table === 'ledger_stock') start().catch(fail)
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
    start()
      .then((l) => l.move(sku, op, qty))
      .catch(fail)
  })
  $('ledger-rebuild').addEventListener('click', () => {
    $('ledger-status').textContent = 'rebuilding…'
    start()
      .then((l) => l.rebuild())
      .catch(fail)
  })
}

interface Ledger {
  move(sku: string, op: Move['type'], qty: number): Promise<void>
  rebuild(): Promise<void>
}

async function startLedger(db: Database, log: Log): Promise<Ledger> {
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

  await render()
  return {
    async move(sku, op, qty) {
      try {
        const r = await Stock.dispatch(`ledger-${sku}`, { type: op, qty }, { consistency: ['ledger-stock'] })
        $('ledger-status').textContent = `${sku}: version ${String(r.version)}`
      } catch (e) {
        $('ledger-status').textContent = `${sku}: refused (${(e as Error).message})`
      }
    },
    async rebuild() {
      await projection.rebuild()
      $('ledger-status').textContent = 'rebuilt from the origin'
    },
  }
}

