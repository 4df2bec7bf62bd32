import { it } from 'vitest'
import { generate } from './generator.js'
import { runOnWebnesia } from './webnesia.js'
import { runOnMnesia } from './mnesia.js'
it('t', async () => {
  const seqs = [generate(7, 30)]
  const m = await runOnMnesia('/usr/bin/escript', seqs)
  const w = await runOnWebnesia(seqs[0]!)
  seqs[0]!.ops.forEach((o, i) => console.log(JSON.stringify(o), '\n   M', JSON.stringify(m[0]![i]), '\n   W', JSON.stringify(w[i])))
}, 300000)
