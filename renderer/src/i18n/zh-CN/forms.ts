// 简体中文: shared/forms 的字段问题。
import type { Catalogue } from '../types.js';
import type { forms as en } from '../en/forms.js';

export const forms: Catalogue<typeof en> = {
  'forms.clientName.empty': '请为客户端命名。',
  'forms.clientName.invalid': '“{value}”不是有效的客户端名称：请使用 1 到 64 个字母、数字、“.”、“_”或“-”。',
  'forms.ip.invalid': '“{value}”不是 IP 地址或 CIDR 网段（例如 10.0.0.5、10.0.0.0/24、2001:db8::/48）。',
  'forms.ip.prefix': '“{value}”：前缀长度必须在 0 到 {max} 之间。',
  'forms.ip.noRange': '“{value}”是一个网段；此处请填写单个地址。',
  'forms.ip.tooMany': '最多填写 {max} 个地址。',
  'forms.port.invalid': '“{value}”不是端口：请填写 1 到 65535 之间的整数。',
  'forms.serverName.empty': '请为服务器命名。',
  'forms.serverName.invalid': '“{value}”不是有效的服务器名称：请使用 1 到 64 个字母、数字和下划线（不含空格）。',
  'forms.days.invalid': '“{value}”不是有效的天数：请填写 {min} 到 {max} 之间的整数。',
  'forms.description.invalid': '描述请保持为一行，最多 {max} 个字符。',
  'forms.dns.invalid': '“{value}”不是主机名（例如 kmip.example.com）。',
  'forms.dns.tooMany': '最多填写 {max} 个主机名。',
  'forms.p12.short': 'PKCS#12 密码至少需要 {min} 个字符。',
  'forms.schedule.time': '“{value}”不是一天中的时间（00:00 到 23:59）',
  'forms.schedule.day': '“{value}”不是星期几（monday … sunday）',
  'forms.schedule.hours': '“every N hours”中的 N 必须在 1 到 744 之间',
  'forms.logTime.invalid': '请以 UTC 日期或日期时间填写时间，例如 2026-11-28 或 2026-11-28T17:00:00Z，或清空该字段。',
  'forms.logTime.order': '时间范围的开始晚于结束：请交换两者或清空其一。',
  'forms.schedule.invalid': '“{value}”不是有效的计划：请使用 off、“daily at HH:MM”、“weekly on DAY at HH:MM”或“every N hours”',
};
