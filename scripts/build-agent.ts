/**
 * Bundle the agent for telematics units: `npm run build:agent` → dist/agent/adx-agent.mjs
 * (esbuild, platform node, target node18, ESM, one file, no native addon) with the
 * node-sqlite3-wasm .wasm, the rule pack and the VSS overlay copied beside it (the code finds
 * them relative to the bundle). Then checks the bundle: `--help` runs, a bad config exits
 * non-zero naming the field, and `inspect` processes a payload.
 *
 * The bundle is minified (names kept for stack traces and logs) and ASCII-only: V8 keeps a
 * script's source in the heap for lazy compilation, as one byte per character only when every
 * character is Latin-1, so the unminified bundle (~2.8 MB with a few "—" in comments) held
 * ~5.7 MiB; minified it is about a third of that.
 *
 * Beside it, `adx-agent`: the sh launcher with the node flags and malloc settings that only work
 * at process start (agent/daemon/launch.ts); the systemd unit runs it.
 *
 * Flags: --no-verify (skip the checks), --no-minify (readable output for debugging).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { build } from 'esbuild'
import { parse as parseYaml } from 'yaml'
import { precompiledPath, type PrecompiledYaml, yamlTextSha256 } from '../agent/load-inspector.ts'
import { launcherScript } from '../agent/daemon/launch.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const outDir = join(root, 'dist', 'agent')
const outFile = join(outDir, 'adx-agent.mjs')
const args = new Set(process.argv.slice(2))

// CommonJS dependencies (node-sqlite3-wasm, aedes, mqtt internals) expect require/__dirname;
// in an ES module they do not exist, so the banner defines them for the bundle's directory.
const banner = [
  '#!/usr/bin/env node',
  "import { createRequire as __adxCreateRequire } from 'node:module';",
  "import { fileURLToPath as __adxFileURLToPath } from 'node:url';",
  "import { dirname as __adxDirname } from 'node:path';",
  'const require = __adxCreateRequire(import.meta.url);',
  'const __filename = __adxFileURLToPath(import.meta.url);',
  'const __dirname = __adxDirname(__filename);',
].join('\n')

mkdirSync(outDir, { recursive: true })
const result = await build({
  entryPoints: [join(root, 'agent/daemon/main.ts')],
  outfile: outFile,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  banner: { js: banner },
  minify: !args.has('--no-minify'),
  keepNames: true,
  charset: 'ascii',
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
})

// esbuild's charset 'ascii' leaves non-ASCII characters in regular expression literals; one is
// enough to make V8 store the whole source two bytes per character. \uXXXX means the same
// there (and in strings, templates and identifiers), so escape what is left.
const code = readFileSync(outFile, 'utf8')
// eslint-disable-next-line no-control-regex
const ascii = code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
if (ascii !== code) writeFileSync(outFile, ascii)

const require = createRequire(import.meta.url)
const wasm = join(dirname(require.resolve('node-sqlite3-wasm')), 'node-sqlite3-wasm.wasm')
const copies: [string, string][] = [
  [wasm, 'node-sqlite3-wasm.wasm'],
  [join(root, 'shared/rulepack/cn-2026.yaml'), 'cn-2026.yaml'],
  [join(root, 'shared/rulepack/vss-overlay.yaml'), 'vss-overlay.yaml'],
  [join(root, 'shared/vss/vss-tree.json'), 'vss-tree.json'],
  [join(root, 'deploy/agent.example.yaml'), 'agent.example.yaml'],
]
for (const [from, to] of copies) copyFileSync(from, join(outDir, to))
// The rule pack and overlay parsed ahead of time (see agent/load-inspector.ts): the agent uses
// the JSON only while the YAML beside it is byte for byte the one it was made from.
for (const name of ['cn-2026.yaml', 'vss-overlay.yaml']) {
  const text = readFileSync(join(outDir, name), 'utf8')
  const doc: unknown = parseYaml(text)
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(doc)), doc)) throw new Error(`${name}: the parsed document does not survive JSON (precompile would change it)`)
  const pre: PrecompiledYaml = { sha256: yamlTextSha256(text), doc }
  writeFileSync(precompiledPath(join(outDir, name)), JSON.stringify(pre))
  copies.push([name, `${name}.json`])
}
// The launcher the systemd unit runs: node flags and malloc settings that only work at start.
const launcher = join(outDir, 'adx-agent')
writeFileSync(launcher, launcherScript('adx-agent.mjs'))
chmodSync(launcher, 0o755)
copies.push(['adx-agent', 'adx-agent'])
const kb = (f: string) => `${Math.round(statSync(f).size / 1024)} KiB`
console.log(`built ${outFile} (${kb(outFile)}), inputs: ${Object.keys(result.metafile.inputs).length}`)
for (const [, to] of copies) console.log(`  + ${to} (${kb(join(outDir, to))})`)

if (!args.has('--no-verify')) {
  const node = process.execPath
  const help = execFileSync(node, [outFile, '--help'], { encoding: 'utf8' })
  if (!help.includes('agent')) throw new Error(`--help does not list the agent command:\n${help}`)
  const viaLauncher = execFileSync(launcher, ['--help'], { encoding: 'utf8', env: { ...process.env, ADX_NODE: node } })
  if (viaLauncher !== help) throw new Error(`the launcher ${launcher} does not run the bundle:\n${viaLauncher}`)
  const dir = mkdtempSync(join(tmpdir(), 'adx-agent-build-'))
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'vehicle: { id: "bad/id" }\ningress: { http: { host: 0.0.0.0, port: 8470 } }\n')
  const r = spawnSync(node, [outFile, 'agent', '--config', bad], { encoding: 'utf8' })
  if (r.status === 0 || !r.stderr.includes('vehicle.id') || !r.stderr.includes('ingress.http.host'))
    throw new Error(`a bad config must exit non-zero naming the fields; got ${r.status}:\n${r.stderr}`)
  const payload = join(dir, 'payload.json')
  writeFileSync(payload, JSON.stringify({ id: 'p1', vehicleId: 'LSVAU218XN2183294', destination: 'oem-eu', purpose: 'fleet-quality', telemetry: { samples: [{ path: 'Vehicle.Speed', value: { number: 42 } }], actuatorWrites: [{ path: 'Vehicle.Cabin.Door.Row1.DriverSide.IsLocked', target: { boolean: false } }] } }))
  const inspect = spawnSync(node, [outFile, 'inspect', '--to', 'abroad', payload], { encoding: 'utf8', env: { ...process.env, ADX_PSEUDONYM_KEY: '00112233445566778899aabbccddeeff' } })
  if (inspect.status !== 0 || !inspect.stdout.includes('"decision"') || inspect.stdout.includes('LSVAU218XN2183294'))
    throw new Error(`inspect through the bundle failed (${inspect.status}):\n${inspect.stdout}\n${inspect.stderr}`)
  console.log('verified: --help, bad config exits', r.status, 'naming the fields, inspect sends a sanitised payload')
  await verifyDaemon(node, dir)
}

/** Run the bundled daemon: POST a payload to its ingress, see it at a local sink, SIGTERM → exit 0. */
async function verifyDaemon(node: string, dir: string): Promise<void> {
  const { createServer } = await import('node:http')
  const { generateKeyPairSync } = await import('node:crypto')
  const got: string[] = []
  const sink = createServer((req, res) => {
    got.push(String(req.headers['x-adx-payload-id']))
    req.resume()
    req.on('end', () => res.writeHead(200).end())
  })
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r))
  const sinkPort = (sink.address() as { port: number }).port
  const pub = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const config = join(dir, 'agent.yaml')
  writeFileSync(
    config,
    JSON.stringify({
      vehicle: { id: 'veh-build-check' },
      backend: { url: 'mqtt://127.0.0.1:1', password: 'x', policyPublicKey: pub },
      pseudonymKey: '00112233445566778899aabbccddeeff',
      dataDir: join(dir, 'data'),
      ingress: { http: { port: 0 } },
      destinations: [{ name: 'local', region: 'domestic', recipient: 'CN=local', transport: 'https', url: `http://127.0.0.1:${sinkPort}/in` }],
      log: { level: 'info' },
    }),
  )
  const { spawn } = await import('node:child_process')
  const child = spawn(node, [outFile, 'agent', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /"httpPort":(\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`bundled agent exited ${code}: ${out}`)))
  })
  const res = await fetch(`http://127.0.0.1:${port}/v1/payloads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'build-check-1', vehicleId: 'LSVAU218XN2183294', destination: 'local', purpose: 'fleet-quality', telemetry: { samples: [{ path: 'Vehicle.Speed', value: { number: 42 } }] } }),
  })
  if (res.status !== 202) throw new Error(`ingress answered ${res.status}: ${await res.text()}`)
  for (let i = 0; i < 200 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50))
  if (got[0] !== 'build-check-1') throw new Error(`the sink did not receive the payload: ${out}`)
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  child.kill('SIGTERM')
  const code = await exit
  sink.close()
  if (code !== 0) throw new Error(`SIGTERM → exit ${code}, expected 0`)
  console.log('verified: bundled daemon accepted a payload (202), delivered it, and stopped cleanly on SIGTERM (exit 0)')
}
