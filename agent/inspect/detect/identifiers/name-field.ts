/**
 * Field names (JSON keys, VSS paths, CSV headers) that carry a person's name or a person's
 * account identifier — the value is personal data whatever it looks like.
 *
 * Keys are compared normalised: the last segment of a `.` / `/` path, ASCII lowercased,
 * with `_ - space` removed (`full_name`, `fullName`, `Full-Name` → `fullname`).
 *
 * isPersonNameField(key, siblingKeys?):
 * - true for person-name compounds, as the whole key or its ending: fullname, firstname,
 *   lastname, givenname, familyname, surname, middlename, nickname, realname, personname,
 *   ownername, drivername, occupantname, passengername, contactname, customername,
 *   membername, recipientname, cardholdername, accountholdername, policyholdername (so
 *   `vehicleOwnerName`, `emergency_contact_name` match, `fileName`, `hostname`, `ecuName`,
 *   `signalName`, `displayName`, `placeholderName` do not); `legalname` only as the whole
 *   key; Chinese 姓名 and anything ending in 姓名, 车主, 驾驶员, 驾驶人, 司机, 联系人, 乘客, 收件人, 昵称.
 * - a bare `name` (or 名字) only in a person-ish context: the parent path segment is a
 *   person word (`Vehicle.Driver.Name`, `owner/name`), or a sibling key is a person field
 *   (isPersonNameField / isPersonIdField: driverId, ownerName …) or phone/mobile/tel/email/
 *   idNumber/idCard/passport/gender/sex/birth-date/driver-licence-like (not a plain `driver`
 *   or `owner`: `{name, driver}` is a device driver, `{name, owner, mode}` a file).
 *   A bare `name` next to `ecuId`, `version` … is an ECU's, a signal's, an app's name.
 *
 * isPersonIdField(key): driverId, occupantId, userId, accountId, customerId, memberId, ownerId,
 * passengerId, personId, contactId, employeeId, openId / unionId (WeChat), username,
 * loginName, loginId — as the whole key or its ending — plus 用户ID/用户编号/会员号/会员编号/
 * 客户编号/车主ID, and an id-like leaf (`id`, `identifier`, `subject`, `uid`) under a person
 * path segment (VSS `Vehicle.Driver.Identifier.Subject`, `…Occupant.Identifier.Subject`).
 * A bare `id` is not a person id without such a path.
 *
 * Both functions memoise per key (bounded), as they run on every key of every payload.
 */

const NAME_SUFFIXES = [
  'fullname', 'firstname', 'lastname', 'givenname', 'familyname', 'surname', 'middlename', 'nickname',
  'realname', 'personname', 'ownername', 'drivername', 'occupantname', 'passengername', 'contactname',
  'customername', 'membername', 'recipientname', 'cardholdername', 'accountholdername', 'policyholdername',
  '姓名', '车主', '驾驶员', '驾驶人', '司机', '联系人', '乘客', '收件人', '昵称',
]
const NAME_EXACT = new Set(['legalname', '真实姓名', '车主姓名'])
const BARE_NAME = new Set(['name', '名字'])

const ID_SUFFIXES = [
  'driverid', 'occupantid', 'userid', 'accountid', 'customerid', 'memberid', 'ownerid', 'passengerid',
  'personid', 'contactid', 'employeeid', 'openid', 'unionid', 'username', 'loginname', 'loginid',
  '用户id', '用户编号', '会员号', '会员编号', '客户编号', '车主id',
]
const ID_LEAVES = new Set(['id', 'identifier', 'subject', 'uid'])

/** Path segments (normalised) that make a bare name / id leaf personal. */
const PERSON_CONTEXT = new Set([
  'driver', 'owner', 'occupant', 'passenger', 'customer', 'contact', 'person', 'user', 'member', 'employee',
  'driverinfo', 'ownerinfo', 'userinfo', 'customerinfo', 'contactinfo', '驾驶员', '车主', '用户', '客户',
  '联系人', '司机', '乘客',
])

/**
 * Substrings of a normalised sibling key that make a bare `name` personal. Deliberately not
 * plain `driver`, `owner`, `address`, `age`: `{name, driver}` is a Linux device, `{name,
 * owner, mode}` a file, `{name, address}` a network interface. driverId, ownerName … count
 * through isPersonIdField / isPersonNameField.
 */
const PERSONISH_SIBLING_PARTS = [
  'phone', 'mobile', 'email', 'idnumber', 'idno', 'idcard', 'residentid', 'identitycard', 'passport',
  'gender', 'birth', 'nationality', 'driverlicen', 'licenseno', 'licenceno',
  '手机', '电话', '身份证', '性别', '出生', '邮箱', '驾照', '住址', '车主', '驾驶',
]
const PERSONISH_SIBLING_EXACT = new Set(['tel', 'telephone', 'sex', 'dob'])

/** Normalised path segments of a key (ASCII lowercased, `_ - space` removed). */
function segments(key: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c === 46 || c === 47) {
      // . /
      if (cur !== '') out.push(cur)
      cur = ''
    } else if (c === 95 || c === 45 || c === 32) {
      continue
    } else if (c >= 65 && c <= 90) {
      cur += String.fromCharCode(c + 32)
    } else {
      cur += key[i]
    }
  }
  if (cur !== '') out.push(cur)
  return out
}

function endsWithAny(s: string, suffixes: readonly string[]): boolean {
  for (const suf of suffixes) if (s.endsWith(suf)) return true
  return false
}

const CACHE_LIMIT = 4096

function memo<T>(fn: (key: string) => T): (key: string) => T {
  let cache = new Map<string, T>()
  return (key) => {
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    const v = fn(key)
    if (cache.size >= CACHE_LIMIT) cache = new Map()
    cache.set(key, v)
    return v
  }
}

type NameClass = 'name' | 'bare' | 'bare-person' | 'no'

const classifyName = memo((key: string): NameClass => {
  const segs = segments(key)
  const leaf = segs[segs.length - 1]
  if (leaf === undefined) return 'no'
  if (NAME_EXACT.has(leaf) || endsWithAny(leaf, NAME_SUFFIXES)) return 'name'
  if (BARE_NAME.has(leaf)) {
    const parent = segs[segs.length - 2]
    return parent !== undefined && PERSON_CONTEXT.has(parent) ? 'bare-person' : 'bare'
  }
  return 'no'
})

const personIdField = memo((key: string): boolean => {
  const segs = segments(key)
  const leaf = segs[segs.length - 1]
  if (leaf === undefined) return false
  if (endsWithAny(leaf, ID_SUFFIXES)) return true
  if (ID_LEAVES.has(leaf)) {
    for (let i = 0; i < segs.length - 1; i++) if (PERSON_CONTEXT.has(segs[i]!)) return true
  }
  return false
})

const personishSibling = memo((key: string): boolean => {
  if (classifyName(key) === 'name' || personIdField(key)) return true
  const segs = segments(key)
  const leaf = segs[segs.length - 1]
  if (leaf === undefined) return false
  if (PERSONISH_SIBLING_EXACT.has(leaf)) return true
  for (const part of PERSONISH_SIBLING_PARTS) if (leaf.includes(part)) return true
  return false
})

/**
 * Whether a field with this key holds a person's name. A bare `name` counts only under a
 * person path segment or when `siblingKeys` (the other keys of the same object) look
 * person-ish — see the module doc.
 */
export function isPersonNameField(key: string, siblingKeys?: readonly string[]): boolean {
  const cls = classifyName(key)
  if (cls === 'name' || cls === 'bare-person') return true
  if (cls === 'no' || siblingKeys === undefined) return false
  for (const sib of siblingKeys) if (sib !== key && personishSibling(sib)) return true
  return false
}

/** Whether a field with this key holds a person's account / user identifier (module doc). */
export function isPersonIdField(key: string): boolean {
  return personIdField(key)
}
