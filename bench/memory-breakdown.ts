/**
 * Where a process's resident memory is, from /proc/self/smaps (Linux; empty elsewhere), by kind
 * of mapping: V8 heap pages (256 KiB anonymous mappings: every isolate's heap, i.e. the main
 * thread's and any worker thread's), the malloc heap ([heap]: ArrayBuffer backing stores and
 * native allocations), file-backed pages (the node executable and libraries), and other anonymous
 * mappings (WebAssembly memories and code, thread stacks, larger malloc chunks). Also VmRSS and
 * VmHWM from /proc/self/status. Figures in bytes.
 */
import { readFileSync } from 'node:fs'

/** Resident bytes by kind of mapping. */
export interface MemoryBreakdown {
  v8HeapPages: number
  mallocHeap: number
  fileBacked: number
  otherAnon: number
  vmRss: number
  vmHwm: number
}

const V8_PAGE = 256 * 1024

/** Reads the breakdown now (all zero when /proc is not there). */
export function memoryBreakdown(): MemoryBreakdown {
  const out: MemoryBreakdown = { v8HeapPages: 0, mallocHeap: 0, fileBacked: 0, otherAnon: 0, vmRss: 0, vmHwm: 0 }
  let smaps: string
  let status: string
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8')
    status = readFileSync('/proc/self/status', 'utf8')
  } catch {
    return out
  }
  let kind: keyof MemoryBreakdown = 'otherAnon'
  for (const line of smaps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (m) {
      const size = parseInt(m[2]!, 16) - parseInt(m[1]!, 16)
      const name = m[3] ?? ''
      kind = name.startsWith('/') ? 'fileBacked' : name === '[heap]' ? 'mallocHeap' : name === '' && size === V8_PAGE ? 'v8HeapPages' : 'otherAnon'
      continue
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line)
    if (r) out[kind] += Number(r[1]) * 1024
  }
  out.vmRss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
  out.vmHwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
  return out
}
