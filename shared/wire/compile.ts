import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'

/** Folder holding the `adx/v1/*.proto` sources. */
export const protoRoot = fileURLToPath(new URL('../../proto', import.meta.url))

/**
 * Parses the .proto sources with protobufjs and returns the JSON descriptor.
 * Used by `npm run gen:proto` and by the test that keeps descriptor.json in sync.
 */
export function compileProto(): protobuf.INamespace {
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => join(protoRoot, target)
  const dir = join(protoRoot, 'adx', 'v1')
  const files = readdirSync(dir).filter((f) => f.endsWith('.proto')).sort()
  root.loadSync(files.map((f) => `adx/v1/${f}`), { keepCase: false })
  return root.toJSON()
}
