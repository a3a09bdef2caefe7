import { describe, expect, it } from 'vitest'
import { findEmails, isEmail } from './email.ts'
import { COMMON_NEGATIVES } from './test-fixtures.ts'

describe('findEmails', () => {
  it.each([
    ['contact zhang.san@example.com today', 'zhang.san@example.com'],
    ['mailto:Li.Si+adx@Mail.Example.CN', 'Li.Si+adx@Mail.Example.CN'],
    ['<wang_wu@163.com>', 'wang_wu@163.com'],
    ['邮箱13812345678@qq.com联系', '13812345678@qq.com'],
    ['"email":"a@b.cn"', 'a@b.cn'],
    ['write to ops-team@fleet.example.org.', 'ops-team@fleet.example.org'],
    ['...user@example.com', 'user@example.com'],
    ['x@sub-domain.example.museum', 'x@sub-domain.example.museum'],
  ])('finds the address in %j', (text, form) => {
    const start = text.indexOf(form)
    expect(findEmails(text)).toEqual([{ start, end: start + form.length, kind: 'email', value: form.toLowerCase() }])
  })

  it('finds several', () => {
    expect(findEmails('a@b.cn, c@d.com; e@f.org').map((s) => s.value)).toEqual(['a@b.cn', 'c@d.com', 'e@f.org'])
  })

  it.each([
    ...COMMON_NEGATIVES,
    'user@localhost',
    'user@host.c', // one-letter TLD
    'user@host.123', // numeric TLD
    'user@-host.com',
    'user@host-.com',
    'a..b@example.com',
    'a.@example.com',
    '@example.com',
    'user@',
    'icon@2x.png',
    'sprite@3X.webp',
    `${'a'.repeat(65)}@example.com`, // local part too long
    `a@${'b'.repeat(64)}.com`, // label too long
    'git@@example.com',
  ])('finds nothing in %j', (text) => {
    expect(findEmails(text)).toEqual([])
  })

  it('terminates on pathological input (timing is measured in benchmarks, not here)', () => {
    const text = 'a.'.repeat(20_000) + '@' + '-.'.repeat(20_000) + '@'.repeat(5000)
    expect(findEmails(text)).toEqual([])
  })
})

describe('isEmail', () => {
  it.each([
    ['zhang.san@example.com', true],
    [' zhang.san@example.com ', true],
    ['zhang san@example.com', false],
    ['zhang.san@example', false],
    ['a@b.cn c@d.cn', false],
  ])('%j → %s', (s, ok) => {
    expect(isEmail(s)).toBe(ok)
  })
})
