/**
 * What personal data looks like, by column name and by value, for the `pii_detect` rule. Value
 * checks are strict on purpose (check digits where the format has them, separators or a `+` for
 * phone numbers): plain ids, order numbers, prices and dates must not look personal.
 *
 *   kindOfValue('ana@example.com')        // → 'email'
 *   kindOfValue('4111 1111 1111 1111')    // → 'card'   (Luhn)
 *   kindOfValue('100234567')              // → undefined (a bare number is no phone)
 *   kindOfName('customerEmail')           // → 'email'
 */

export const PII_KINDS = ['email', 'phone', 'iban', 'card', 'national_id', 'birth_date'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** How a message names what a column looks like. */
export const KIND_LABEL: Record<PiiKind, string> = {
  email: 'e-mail addresses',
  phone: 'phone numbers',
  iban: 'IBANs',
  card: 'card numbers',
  national_id: 'national ids',
  birth_date: 'birth dates',
};

/** Column-name tokens (after splitting snake_case and camelCase) that say what a column holds. */
const NAME_PATTERNS: [PiiKind, RegExp][] = [
  ['email', /(^|_)(e_?mail|email_?address|mail_?address)(_|$)/],
  ['phone', /(^|_)(phone|phone_?number|telephone|tel|mobile|mobile_?number|cell_?phone|msisdn|fax)(_|$)/],
  ['iban', /(^|_)iban(_|$)/],
  ['card', /(^|_)(card|card_?number|card_?no|cc|cc_?number|ccnum|credit_?card|pan)(_|$)/],
  ['national_id', /(^|_)(ssn|social_?security(_?number)?|cpf|nino|national_?id|national_?insurance(_?number)?|passport(_?number|_?no)?|tax_?id|tin|sin|dni|nif)(_|$)/],
  ['birth_date', /(^|_)(dob|birth|birthday|birth_?date|date_?of_?birth|born)(_|$)/],
];

/** `customerEmail` → `customer_email`; `CC-Number` → `cc_number`. */
export const normalizeName = (name: string): string =>
  name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

export function kindOfName(name: string): PiiKind | undefined {
  const n = normalizeName(name);
  return NAME_PATTERNS.find(([, re]) => re.test(n))?.[0];
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$/;
const IBAN = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;
const CARD = /^[0-9]{4}([ -]?[0-9]{2,7}){2,4}$|^[0-9]{13,19}$/;
const SSN = /^([0-9]{3})-([0-9]{2})-([0-9]{4})$/;
const CPF = /^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$/;
// Prefixes D, F, I, Q, U, V never; second letter never O; BG, GB, NK, KN, TN, NT, ZZ are not allocated.
const NINO = /^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]$/;
const PHONE_CHARS = /^\+?[0-9 ()./-]+$/;
/** 2024-01-05, 05/01/2024, 5.1.24: dates have the separators and digit counts of phone numbers. */
const DATE_LIKE = /^[0-9]{1,4}[-./][0-9]{1,2}[-./][0-9]{1,4}$/;

/**
 * The kind of personal data one value is, checked from the most to the least specific (an SSN's
 * digits and dashes would pass for a phone number). Phone numbers need a `+`/`00` prefix or
 * separators, or a national trunk `0` and 10–11 digits: a bare number is an id, not a phone.
 */
export function kindOfValue(raw: string): PiiKind | undefined {
  const v = raw.trim();
  if (v.length < 6 || v.length > 64) return undefined;
  if (v.includes('@')) return EMAIL.test(v) ? 'email' : undefined;
  const compact = v.replace(/[ ]/g, '').toUpperCase();
  if (IBAN.test(compact) && ibanValid(compact)) return 'iban';
  if (CARD.test(v) && luhn(v.replace(/[ -]/g, '')) && /^[0-9]{13,19}$/.test(v.replace(/[ -]/g, ''))) return 'card';
  if (isNationalId(v)) return 'national_id';
  if (isPhone(v)) return 'phone';
  return undefined;
}

export function isNationalId(v: string): boolean {
  const ssn = SSN.exec(v);
  if (ssn) return ssn[1] !== '000' && ssn[1] !== '666' && !ssn[1]!.startsWith('9') && ssn[2] !== '00' && ssn[3] !== '0000';
  if (CPF.test(v)) return cpfValid(v.replace(/[.-]/g, ''));
  return NINO.test(v.toUpperCase());
}

export function isPhone(v: string): boolean {
  // A bare run of digits is a phone number only with the national trunk 0 and 10–11 digits (07946095800).
  if (/^0[1-9][0-9]{8,9}$/.test(v)) return true;
  if (!PHONE_CHARS.test(v) || DATE_LIKE.test(v)) return false;
  const digits = v.replace(/[^0-9]/g, '').length;
  if (digits < 8 || digits > 15) return false;
  // E.164 (+44…), or grouped by spaces, dashes or parentheses (0044 20 7946 0958, (212) 555-0198).
  return v.startsWith('+') || (/^[0-9(]/.test(v) && /[ ()-]/.test(v));
}

/** The Luhn checksum of card numbers. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616: the country code and check digits moved to the end, letters as 10–35, mod 97 is 1. */
export function ibanValid(iban: string): boolean {
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const n = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rest = n > 9 ? (rest * 100 + n) % 97 : (rest * 10 + n) % 97;
  }
  return rest === 1;
}

/** Brazil's CPF: two check digits (mod 11); eleven equal digits are not a number. */
export function cpfValid(digits: string): boolean {
  if (!/^[0-9]{11}$/.test(digits) || /^(\d)\1{10}$/.test(digits)) return false;
  const check = (len: number) => {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += Number(digits[i]) * (len + 1 - i);
    const r = (sum * 10) % 11;
    return r === 10 ? 0 : r;
  };
  return check(9) === Number(digits[9]) && check(10) === Number(digits[10]);
}
