/**
 * The checkout panel: seed 001's order as a saga (API.md, "Sagas") — create the order, reserve the
 * stock (the shop's `stock` table, so the products view shows it), take the payment from a
 * simulated service (a switch makes it succeed, fail or hang), ship. When the payment fails for
 * good, the completed steps are compensated in reverse order (the stock goes back, the order is
 * cancelled), and the panel shows every step, retry and compensation live.
 *
 * The saga is declared only when the panel is used (the first checkout in this tab, or a tab that
 * finds sagas left unfinished by a closed tab when it opens): a tab that never checks out runs no
 * saga host and no saga tables' transactions, so the shop's and the peers' paths are unchanged.
 *
 * The live view reads the saga log's tables (`webnesia_saga`, `webnesia_saga_log`: format in
 * src/saga/log.ts) with a live query: one consistent snapshot per render.
 */
import { SagaAbortError, SagaFailedError, TableExistsError, type Database, type Saga, type Transaction } from '../src/index.js'

type Log = (text: string, kind: 'local' | 'system' | 'warn') => void

/** What a checkout saga is started with. */
interface Checkout {
  sku: string
  qty: number
  /** The payment service's behaviour for this saga, chosen by the switch when it started. */
  pay: 'ok' | 'fail' | 'hang'
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const SAGA = 'webnesia_saga'
const SAGA_LOG = 'webnesia_saga_log'
/** How long the simulated payment service hangs before the step times out (then retried). */
const HANG_MS = 1500

/** Wires the panel; the saga starts on first use, or at once when unfinished checkouts exist. */
export function mountSagaPanel(db: Database, log: Log): void {
  let started: Promise<Saga<Checkout>> | null = null
  const start = (): Promise<Saga<Checkout>> => (started ??= startSaga(db, log))
  const status = $('saga-status')
  const fail = (e: unknown): void => {
    status.textContent = `error: ${(e as Error).message}`
  }
  void unfinished(db).then((n) => {
    if (n > 0) start().catch(fail)
  })
  const form = $<HTMLFormElement>('saga-form')
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const data = new FormData(form)
    const raw = data.get('sku')
    const sku = typeof raw === 'string' ? raw.trim() : ''
    const qty = Number(data.get('qty'))
    const mode = data.get('pay')
    const pay: Checkout['pay'] = mode === 'fail' || mode === 'hang' ? mode : 'ok'
    if (sku === '' || !(qty > 0)) return
    status.textContent = `checkout of ${String(qty)} × ${sku}…`
    start()
      .then(async (saga) => {
        try {
          const out = await saga.start({ sku, qty, pay })
          status.textContent = `${out.id}: completed`
        } catch (e) {
          if (!(e instanceof SagaFailedError)) throw e
          status.textContent = `${e.id}: ${e.status} after ${e.step} failed`
          log(`saga ${e.id}: ${e.step} failed, ${e.status}`, 'warn')
        }
      })
      .catch(fail)
  })
}

/** Checkouts left running or compensating (by a tab that closed): the panel resumes them. */
async function unfinished(db: Database): Promise<number> {
  if (!(db.systemInfo('tables') as string[]).includes(SAGA)) return 0
  const rows = await db.dirtyIndexRead(SAGA, 'checkout', 'name')
  return rows.filter((r) => r['status'] === 'running' || r['status'] === 'compensating').length
}

async function bump(t: Transaction, sku: string, by: number): Promise<void> {
  const [row] = await t.read('stock', sku, 'write')
  const count = ((row?.['count'] as number | undefined) ?? 0) + by
  if (count < 0) throw new SagaAbortError(`only ${String(count - by)} ${sku} in stock`)
  await t.write('stock', { sku, count })
}

async function startSaga(db: Database, log: Log): Promise<Saga<Checkout>> {
  try {
    await db.createTable('checkout', { attributes: ['id', 'sku', 'qty', 'state'], localContent: true })
  } catch (e) {
    if (!(e instanceof TableExistsError)) throw e
  }
  const saga = db.saga<Checkout>(
    'checkout',
    [
      {
        name: 'create order',
        run: (ctx, c) => ctx.transaction((t) => t.write('checkout', { id: ctx.id, sku: c.sku, qty: c.qty, state: 'created' })),
        compensate: (ctx, c) => ctx.transaction((t) => t.write('checkout', { id: ctx.id, sku: c.sku, qty: c.qty, state: 'cancelled' })),
      },
      {
        name: 'reserve stock',
        run: (ctx, c) => ctx.transaction((t) => bump(t, c.sku, -c.qty)),
        compensate: (ctx, c) => ctx.transaction((t) => bump(t, c.sku, c.qty)),
      },
      {
        name: 'payment',
        // The simulated payment service: the idempotency key makes a retried charge safe.
        run: async (ctx, c) => {
          await new Promise((r) => setTimeout(r, 150))
          if (c.pay === 'fail') throw new Error('payment service: card declined by the bank (try again)')
          if (c.pay === 'hang') await new Promise((r) => setTimeout(r, 3_600_000))
          return `charge-${ctx.idempotencyKey}`
        },
        timeoutMs: HANG_MS,
      },
      {
        name: 'shipping',
        run: (ctx, c) => ctx.transaction((t) => t.write('checkout', { id: ctx.id, sku: c.sku, qty: c.qty, state: 'shipped' })),
      },
    ],
    { retries: 2, backoff: { baseMs: 200, maxMs: 1000 } },
  )
  await saga.list() // creates the saga log's tables before the live view reads them
  await db.waitForTables([SAGA, SAGA_LOG])
  db.subscribe('system', (ev) => {
    if (ev.type === 'saga_stuck') log(`saga_stuck: ${JSON.stringify(ev)}`, 'warn')
  })
  liveView(db)
  return saga
}

interface View {
  id: string
  status: string
  events: { kind: string; step: string; attempt: number }[]
}

/** The last 8 checkouts with their step events, as one live query. */
function liveView(db: Database): void {
  db.liveQuery(async (t) => {
    const sagas = (await t.indexRead(SAGA, 'checkout', 'name')).sort((a, b) => (b['created'] as number) - (a['created'] as number)).slice(0, 8)
    const events = await t.matchObject(SAGA_LOG, {})
    return sagas.map(
      (s): View => ({
        id: String(s['id']),
        status: String(s['status']),
        events: events
          .filter((e) => (e['key'] as [string, number])[0] === s['id'])
          .map((e) => ({ kind: String(e['kind']), step: String(e['step']), attempt: Number(e['attempt'] ?? 0) })),
      }),
    )
  }).subscribe(
    (views) => $('sagas').replaceChildren(...views.map(sagaItem)),
    (e) => ($('saga-status').textContent = `view: ${(e as Error).message}`),
  )
}

function sagaItem(v: View): HTMLLIElement {
  const li = document.createElement('li')
  li.dataset['saga'] = v.id
  li.dataset['status'] = v.status
  const head = document.createElement('strong')
  head.textContent = `${v.id.slice(0, 8)} — `
  const badge = document.createElement('span')
  badge.className = `saga-status ${v.status}`
  badge.textContent = v.status
  head.append(badge)
  const ol = document.createElement('ol')
  for (const e of v.events) {
    const item = document.createElement('li')
    item.dataset['kind'] = e.kind
    item.dataset['step'] = e.step
    item.textContent = `${e.kind.replace('_', ' ')}${e.step ? `: ${e.step}` : ''}${e.kind.endsWith('failed') ? ` (attempt ${String(e.attempt)})` : ''}`
    ol.append(item)
  }
  li.append(head, ol)
  return li
}
