// 简体中文: the same areas as en/index.ts.
import type { Catalogue } from '../types.js';
import type { en } from '../en/index.js';
import { common } from './common.js';
import { settings } from './settings.js';
import { backups } from './backups.js';
import { policy } from './policy.js';
import { certs } from './certs.js';
import { clients } from './clients.js';
import { forms } from './forms.js';
import { errors } from './errors.js';
import { dashboard } from './dashboard.js';
import { keys } from './keys.js';
import { logs } from './logs.js';
import { setup } from './setup.js';
import { auth } from './auth.js';
import { progress } from './progress.js';

export const zhCN: Catalogue<typeof en> = { ...common, ...settings, ...backups, ...policy, ...certs, ...clients, ...forms, ...errors, ...setup, ...dashboard, ...keys, ...logs, ...auth, ...progress };
