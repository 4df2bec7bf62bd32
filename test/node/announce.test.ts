/**
 * A tab alone announces nothing (a BroadcastChannel message per commit is a quarter of its cost);
 * a tab that opens later says 'hi', is answered with the log's position, and from then on hears
 * every commit.
 */
import { expect, it } from 'vitest'
import { openDatabase, type TableEvent } from '../../src/index.js'
import { uniqueName } from './helpers.js'

it('a lone tab skips announcements; a tab opened later hears every commit', async () => {
  const name = uniqueName('ann')
  const a = await openDatabase({ name })
  const link = (a as unknown as { local: { link: { post: (m: { t: string }) => void } } }).local.link
  const posted: string[] = []
  let answered!: () => void
  const answer = new Promise<void>((resolve) => (answered = resolve))
  const post = link.post.bind(link)
  link.post = (m) => {
    posted.push(m.t)
    if (m.t === 'lsn') answered()
    post(m)
  }
  await a.createTable('kv', { attributes: ['k', 'v'] })
  for (let i = 0; i < 3; i++) await a.dirtyWrite('kv', { k: i, v: 'alone' })
  expect(posted.filter((t) => t === 'lsn')).toEqual([])

  const b = await openDatabase({ name })
  expect((await b.dirtyMatchObject('kv', {})).length).toBe(3)
  const heard = new Promise<TableEvent>((resolve) => b.subscribe({ table: 'kv' }, resolve))
  // Once a has heard b's 'hi' (it answers with its LSN), its commits are announced.
  await answer
  await a.dirtyWrite('kv', { k: 'later', v: 'announced' })
  expect(await heard).toEqual({ type: 'write', table: 'kv', record: { k: 'later', v: 'announced' }, origin: 'tab' })
  await a.close()
  await b.close()
})
