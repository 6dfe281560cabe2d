// 简体中文：长时间操作的进度（备份、校验、恢复、密钥生成）。
import type { Catalogue } from '../types.js';
import type { progress as en } from '../en/progress.js';

export const progress: Catalogue<typeof en> = {
  'progress.operation.backup': '备份',
  'progress.operation.verify': '校验',
  'progress.operation.restore': '恢复',
  'progress.operation.keygen': '密钥生成',
  'progress.stage.snapshot': '正在生成密钥库的一致性副本',
  'progress.stage.encrypt': '正在加密',
  'progress.stage.verify': '正在回读备份',
  'progress.stage.checking': '正在检查备份及其密钥',
  'progress.stage.decrypt': '正在解密',
  'progress.stage.integrity': '正在检查数据库',
  'progress.stage.swap': '正在将恢复的数据放到位',
  'progress.stage.generate-key': '正在生成密钥',
  'progress.stage.sign': '正在签名',
  'progress.stage.save': '正在保存',
  'progress.stage.done': '完成',
  'progress.chunks': '{percent}% · 第 {done} 块，共 {total} 块',
  'progress.percent': '{percent}%',
  'progress.elapsed': '{seconds} 秒',
  'progress.label': '{operation}：{stage}',
};
