/**
 * `adx demo` (what `npm start` runs): shows ADX at work on the embedded defaults. Today it
 * inspects the showcase payloads for an abroad destination and prints what was stripped,
 * pseudonymised and held, and why.
 */
import { randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import { loadInspector } from '../agent/load-inspector.ts'
import { examplePayloads } from '../simulator/corpus.ts'

/** Register `adx demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run ADX on the embedded defaults with example payloads and print what happens')
    .action(() => {
      const inspector = loadInspector({ pseudonymKey: randomBytes(32) })
      const destination = { name: 'oem-eu', region: 'abroad' as const, recipient: 'CN=oem-eu.example' }
      const out = process.stdout
      out.write('ADX demo: example payloads bound for an endpoint abroad, with nothing on file\n\n')
      for (const { name, payload } of examplePayloads()) {
        const v = inspector.inspect(payload, destination)
        out.write(`● ${name}\n`)
        out.write(`  decision      ${v.decision.toUpperCase()}${v.reasons.length ? ` (${v.reasons.map((r) => r.code + (r.ruleIds ? ` ${r.ruleIds.join(',')}` : '')).join('; ')})` : ''}\n`)
        out.write(`  categories    ${v.categories.map((c) => c.id).join(', ')}\n`)
        if (v.rules.length) out.write(`  rules fired   ${v.rules.map((r) => `${r.id}→${r.requires}`).join(', ')}\n`)
        if (v.stripped.length) out.write(`  stripped      ${v.stripped.map((s) => `${s.kind}@${s.path}`).join(', ')}\n`)
        if (v.pseudonymised.length) out.write(`  pseudonymised ${v.pseudonymised.map((p) => p.kind).join(', ')}\n`)
        if (v.coarsened.length) out.write(`  coarsened     ${v.coarsened.length} coordinate(s)\n`)
        out.write(`  subjects      ${v.subjects.map((s) => `${s.kind}${s.sensitive ? ' (sensitive)' : ''}`).join(', ') || 'none'}\n\n`)
      }
      out.write('Try it on your own payload: npx adx inspect --to abroad FILE (see README.md)\n')
    })
}
