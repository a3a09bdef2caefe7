#!/usr/bin/env node
// The adx binary: runs the built CLI when present (dist/), else the TypeScript sources via tsx.
import { existsSync } from 'node:fs'

const built = new URL('../dist/cli/run.js', import.meta.url)
if (existsSync(built)) {
  await import(built.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('../cli/run.ts', import.meta.url).href)
}
