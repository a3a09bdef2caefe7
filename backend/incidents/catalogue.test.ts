import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { incidentCatalogue } from './catalogue.ts'
import { incidentTypes } from './raise.ts'

describe('incident catalogue', () => {
  it('describes every type the backend raises', () => {
    for (const t of Object.values(incidentTypes)) expect(incidentCatalogue[t], t).toMatchObject({ source: 'backend' })
  })

  it('every type is explained in docs/compliance-officers.md', () => {
    const doc = readFileSync(new URL('../../docs/compliance-officers.md', import.meta.url), 'utf8')
    for (const t of Object.keys(incidentCatalogue)) expect(doc, t).toContain(`\`${t}\``)
  })
})
