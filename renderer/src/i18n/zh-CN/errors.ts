// 简体中文: 管理接口返回的错误（键与 shared/ipc/error-messages.ts 相同）。
import type { Catalogue } from '../types.js';
import type { errors as en } from '../en/errors.js';

export const errors: Catalogue<typeof en> = {
  'errors.internal': '内部错误',
  'errors.noDataDir': '此界面没有数据文件夹；请指定数据文件夹启动 Keyhold（keyhold serve --data-dir DIR）',

  'errors.engine.noEngine': '此界面未运行 KMIP 引擎；请使用 keyhold serve 或桌面应用',
  'errors.engine.notInBuild': '此版本中没有 KMIP 引擎',
  'errors.engine.timeout': 'KMIP 引擎未能及时响应：请重试；如果仍然失败，请重启 Keyhold 并查看其日志',
  'errors.engine.crashed': 'KMIP 引擎在处理此操作时停止了：请重试；如果仍然失败，请重启 Keyhold 并查看其日志',
  'errors.engine.unavailable': 'KMIP 引擎不可用：请重试；如果仍然失败，请重启 Keyhold 并查看其日志',
  'errors.engine.notRunning': 'KMIP 服务器未运行：请在仪表板上启动它，然后重试',
  'errors.engine.locked': 'KMIP 服务器已锁定：请在仪表板上用主密钥密码解锁，然后重试',
  'errors.engine.noObject': '没有标识符为 {id} 的对象；它可能已被删除：请刷新列表',
  'errors.engine.cannotStart': '此界面无法启动 KMIP 服务器',
  'errors.engine.startFailed': 'KMIP 服务器未能启动：{reason}。请排除原因（端口被占用：请在设置中选择其他端口）后再次启动。',
  'errors.engine.stopFailed': 'KMIP 服务器未能正常停止：{reason}。请查看日志；退出应用一定会停止它。',
  'errors.engine.wrongPassphrase': '未解锁：{reason}。请检查密码后重试。',
  'errors.engine.notLocked': '服务器未锁定：无需解锁。',
  'errors.engine.unlockNotRunning': 'KMIP 服务器未运行：请先启动它，再解锁。',
  'errors.engine.notUnlocked': '未解锁：{reason}',

  'errors.keys.notRestored': '对象 {id} 未能恢复；请刷新后重试',

  'errors.logs.unreadable': '无法读取审计日志（{reason}）；请检查数据文件夹的权限和磁盘',

  'errors.clients.notFound': '没有名为“{name}”的已注册客户端',
  'errors.clients.exists': '名为“{name}”的客户端已注册',
  'errors.clients.retired': '“{name}”曾属于一个已删除的客户端，其对象仍带有该名称；请另选一个名称',
  'errors.clients.permissions': '权限：{reason}',
  'errors.clients.p12NotIssued': '只有 Keyhold 签发的证书才能生成 PKCS#12 文件（需要其私钥）；请将密码留空',
  'errors.clients.nothingToChange': '没有要更改的内容：请填写描述、地址、权限、组或启用状态',

  'errors.certs.noNames': '请填写客户端访问服务器时使用的主机名和/或 IP 地址',

  'errors.port.inUse': '端口 {port} 已被其他程序占用：请停止该程序，或使用端口 {suggested}（空闲）',
  'errors.port.inUseNoFree': '端口 {port} 已被其他程序占用：请停止该程序，或选择其他端口',
  'errors.port.denied': '端口 {port} 在此系统上需要管理员权限：请选择大于 1023 的端口',
  'errors.port.error': '端口 {port} 无法使用（{code}）：请选择其他端口',

  'errors.backups.noFolder': '尚未配置备份文件夹：请先在备份设置中选择一个',
  'errors.backups.missing': '{name} 已不在备份文件夹中：请刷新列表',
  'errors.backups.passphraseNeeded': '此备份受备份密码保护：请输入该密码',
  'errors.backups.masterPassphraseNeeded': '主密钥受密码保护：请输入主密钥密码（或启动并解锁服务器后再校验）',
  'errors.backups.otherServer': '另一个 Keyhold 服务器正在使用 {dir}：恢复前请先停止它',
  'errors.backups.folderRelative': '请填写备份文件夹的完整路径（例如 /mnt/backup/keyhold），而不是“{folder}”',
  'errors.backups.notRunning': 'KMIP 服务器未运行：请启动（并解锁）它，然后再运行备份',
  'errors.backups.unusable': '{name} 不可用：{reason}',
  'errors.backups.confirm': '请准确输入备份文件名（{name}）以确认恢复',
  'errors.backups.stopFirst': '请先停止 KMIP 服务器：恢复会替换其数据文件夹',
  'errors.backups.notRestored': '未恢复（数据文件夹未改变）：{reason}',

  'errors.setup.noDataDir': '此界面没有数据文件夹：请在 keyhold serve 或桌面应用中运行设置',
  'errors.setup.fileInvalid': '{file} 不是有效的 JSON：请修正它，或删除它以从头运行设置向导',
  'errors.setup.fileUnreadable': '无法读取 {file}：{reason}',
  'errors.setup.testLocked': 'KMIP 服务器已锁定：请解锁主密钥，然后再次运行测试',
  'errors.setup.testNotRunning': 'KMIP 服务器未运行：请启动它，然后再次运行测试',
  'errors.setup.certAndKey': '请同时提供客户端证书及其私钥，或两者都不提供（此时使用内置测试客户端）',
  'errors.setup.serverCert': '无法读取服务器证书：{reason}。请返回第 2 步设置证书',
  'errors.setup.clientPair': '客户端证书与私钥无法配合使用（{reason}）：请提供该客户端证书包中的文件',
};
