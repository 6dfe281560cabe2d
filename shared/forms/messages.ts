// The English text of every field problem (fields.ts, schedule.ts, log-filters.ts). The
// renderer's catalogues hold these keys too (en spreads this object; zh-CN
// translates it), so a form shows the problem in the chosen language while
// the handlers and the CLI use the English sentence.
export const FORM_MESSAGES_EN = {
  'forms.clientName.empty': 'Give the client a name.',
  'forms.clientName.invalid': '"{value}" is not a client name: use 1 to 64 letters, digits, ".", "_" or "-".',
  'forms.ip.invalid': '"{value}" is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/24, 2001:db8::/48).',
  'forms.ip.prefix': '"{value}": the prefix length must be 0 to {max}.',
  'forms.ip.noRange': '"{value}" is a range; give single addresses here.',
  'forms.ip.tooMany': 'Give at most {max} addresses.',
  'forms.port.invalid': '"{value}" is not a port: give a whole number from 1 to 65535.',
  'forms.serverName.empty': 'Give the server a name.',
  'forms.serverName.invalid': '"{value}" is not a server name: use 1 to 64 letters, digits and underscores (no spaces).',
  'forms.days.invalid': '"{value}" is not a number of days: give a whole number from {min} to {max}.',
  'forms.description.invalid': 'Keep the description to one line of at most {max} characters.',
  'forms.dns.invalid': '"{value}" is not a host name (e.g. kmip.example.com).',
  'forms.dns.tooMany': 'Give at most {max} host names.',
  'forms.p12.short': 'The PKCS#12 passphrase needs at least {min} characters.',
  'forms.schedule.time': '"{value}" is not a time of day (00:00 to 23:59)',
  'forms.schedule.day': '"{value}" is not a day of the week (monday … sunday)',
  'forms.schedule.hours': 'every N hours takes N from 1 to 744',
  'forms.logTime.invalid': 'Give times as a UTC date or date and time, like 2026-11-28 or 2026-11-28T17:00:00Z, or clear the field.',
  'forms.logTime.order': 'The start of the time range is after its end: swap them or clear one.',
  'forms.schedule.invalid': '"{value}" is not a schedule: use off, "daily at HH:MM", "weekly on DAY at HH:MM" or "every N hours"',
} as const;

export type FormMessageKey = keyof typeof FORM_MESSAGES_EN;
