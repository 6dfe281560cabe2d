// 简体中文：设置页面。
import type { Catalogue } from '../types.js';
import type { settings as en } from '../en/settings.js';

export const settings: Catalogue<typeof en> = {
  'settings.serverName': '服务器名称',
  'settings.serverNameHint': '字母、数字和下划线，例如 Keyhold_HQ。',
  'settings.port': 'KMIP 端口',
  'settings.portHint': 'KMIP 客户端连接到此端口；5696 是标准端口。',
  'settings.portFree': '端口 {port} 可用。',
  'settings.usePort': '使用端口 {port}',
  'settings.tlsMin': '最低 TLS 版本',
  'settings.tls12': 'TLS 1.2（适用于大多数 KMIP 客户端）',
  'settings.tls13': '仅 TLS 1.3（用于确认支持它的客户端）',
  'settings.profile': '密码套件',
  'settings.profile.modern': '现代：仅前向保密套件（推荐）',
  'settings.profile.compatible': '兼容：同时提供部分旧客户端需要的 KMIP 1.x 套件',
  'settings.app': '桌面应用',
  'settings.appDesktopOnly': '这些选项用于桌面应用；keyhold serve 的浏览器界面会忽略它们。',
  'settings.startAtLaunch': '打开应用时启动 KMIP 服务器',
  'settings.openAtLogin': '登录时打开应用',
  'settings.nextStart': '端口和 TLS 设置从 KMIP 服务器下次启动时生效。',
  'settings.saved': '设置已保存：{changes}。',
  'settings.unchanged': '没有任何更改。',
  'settings.restartNeeded': '运行中的服务器仍在使用旧的端口或 TLS 设置：请停止并重新启动以应用。',
};
