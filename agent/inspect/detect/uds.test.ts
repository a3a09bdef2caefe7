import { describe, expect, it } from 'vitest'
import { classifyUds } from './uds.ts'

const b = (...x: number[]) => Uint8Array.from(x)

describe('classifyUds', () => {
  it.each([
    ['programming session', b(0x10, 0x02), 'control', 'uds-programming-session'],
    ['programming session, suppress positive response', b(0x10, 0x82), 'control', 'uds-programming-session'],
    ['ECU reset', b(0x11, 0x01), 'control', 'uds-ecu-reset'],
    ['clear DTCs', b(0x14, 0xff, 0xff, 0xff), 'control', 'uds-clear-dtc'],
    ['communication control', b(0x28, 0x03, 0x01), 'control', 'uds-communication-control'],
    ['write DID', b(0x2e, 0xf1, 0x90, 0x41), 'control', 'uds-write-data-by-identifier'],
    ['write memory', b(0x3d, 0x14, 0x00, 0x10, 0x01), 'control', 'uds-write-memory-by-address'],
    ['I/O control', b(0x2f, 0x48, 0x01, 0x03), 'control', 'uds-io-control'],
    ['routine control', b(0x31, 0x01, 0xff, 0x00), 'control', 'uds-routine-control'],
    ['request download', b(0x34, 0x00, 0x44), 'control', 'uds-request-download'],
    ['request upload', b(0x35, 0x00, 0x44), 'control', 'uds-request-upload'],
    ['transfer data', b(0x36, 0x01, 0xaa), 'control', 'uds-transfer-data'],
    ['transfer exit', b(0x37), 'control', 'uds-request-transfer-exit'],
    ['control DTC setting', b(0x85, 0x02), 'control', 'uds-control-dtc-setting'],
    ['security access seed', b(0x27, 0x01), 'key-material', 'uds-security-access'],
    ['security access key', b(0x27, 0x02, 0x12, 0x34), 'key-material', 'uds-security-access'],
    ['authentication', b(0x29, 0x01), 'key-material', 'uds-authentication'],
  ])('%s is flagged', (_name, req, kind, service) => {
    expect(classifyUds(req)).toEqual({ kind, service })
  })

  it.each([
    ['default session', b(0x10, 0x01), 'other'],
    ['extended session', b(0x10, 0x03), 'other'],
    ['read DID', b(0x22, 0xf1, 0x90), 'read'],
    ['read DTC information', b(0x19, 0x02, 0xff), 'read'],
    ['tester present', b(0x3e, 0x00), 'read'],
  ])('%s is not a control instruction nor key material', (_name, req, kind) => {
    expect(classifyUds(req).kind).toBe(kind)
  })

  it('classifies a lone positive response by SID + 0x40', () => {
    expect(classifyUds(undefined, b(0x51, 0x01)).service).toBe('uds-ecu-reset')
    expect(classifyUds(undefined, b(0x67, 0x01, 0xde, 0xad)).kind).toBe('key-material')
    expect(classifyUds(undefined, b(0x50, 0x02)).kind).toBe('control')
    expect(classifyUds(undefined, b(0x62, 0xf1, 0x90)).kind).toBe('read')
  })

  it('classifies a lone negative response by the echoed SID', () => {
    expect(classifyUds(undefined, b(0x7f, 0x27, 0x35)).kind).toBe('key-material')
    expect(classifyUds(undefined, b(0x7f, 0x22, 0x31)).kind).toBe('read')
  })

  it('treats an empty exchange as other', () => {
    expect(classifyUds(new Uint8Array(0), new Uint8Array(0)).kind).toBe('other')
  })
})
