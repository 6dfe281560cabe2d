import type { Catalogue } from '../types.js';
import type { auth as en } from '../en/auth.js';

export const auth: Catalogue<typeof en> = {
  'auth.title': '登录 Keyhold',
  'auth.intro': '此页面没有有效的管理令牌。请输入在服务器上用 keyhold admin-password set 设置的管理密码，或打开 keyhold serve 启动时打印的管理网址。',
  'auth.password': '管理密码',
  'auth.submit': '登录',
  'auth.checking': '正在验证…',
  'auth.logout': '退出登录',
};
