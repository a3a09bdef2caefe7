/**
 * Compiles proto/adx/v1/*.proto into shared/wire/descriptor.json, the reflection
 * descriptor the agent and backend load (no .proto parsing at run time, no codegen step
 * in the bundle). `npm run gen:proto`; a test fails when the JSON is out of date.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { compileProto } from '../shared/wire/compile.ts'

const out = fileURLToPath(new URL('../shared/wire/descriptor.json', import.meta.url))
writeFileSync(out, JSON.stringify(compileProto(), null, 1) + '\n')
console.log(`wrote ${out}`)
