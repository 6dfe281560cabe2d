// Run-time language switching. Components never hold text: they call t(key),
// which reads the current locale ($state), so switching re-renders every
// string at once. The choice is kept in localStorage; the first visit follows
// the browser's language.
import { en } from './en/index.js';
import { zhCN } from './zh-CN/index.js';

export type MessageKey = keyof typeof en;
export const LOCALES = [
  { id: 'en', label: 'English' },
  { id: 'zh-CN', label: '简体中文' },
] as const;
export type Locale = (typeof LOCALES)[number]['id'];

const CATALOGUES: Record<Locale, Readonly<Record<MessageKey, string>>> = { en, 'zh-CN': zhCN };
const STORAGE_KEY = 'keyhold.locale';

export function isLocale(v: unknown): v is Locale {
  return LOCALES.some((l) => l.id === v);
}

/** The text of `key` in `locale`, with {name} placeholders filled from params. */
export function translate(locale: Locale, key: MessageKey, params: Readonly<Record<string, string | number>> = {}): string {
  const text = CATALOGUES[locale][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : m));
}

/** True for a key of the catalogues (keys from main are checked before t() is given them). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/**
 * What the UI shows for a failure from main: the catalogue's text of its
 * message key in the chosen language, or (no key, or one this UI does not
 * know) the English message it came with.
 */
export function errorText(error: { message: string; key?: string; params?: Readonly<Record<string, string | number>> }): string {
  return error.key !== undefined && isMessageKey(error.key) ? i18n.t(error.key, error.params) : error.message;
}

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLocale(saved)) return saved;
  } catch {
    /* storage unavailable: fall through */
  }
  const lang = typeof navigator === 'undefined' ? 'en' : navigator.language;
  return lang.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

class I18n {
  locale = $state<Locale>(initialLocale());

  set(locale: Locale): void {
    this.locale = locale;
    document.documentElement.lang = locale;
    try {
      localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      /* the choice then lasts for this page only */
    }
  }

  t = (key: MessageKey, params?: Readonly<Record<string, string | number>>): string => translate(this.locale, key, params);
}

export const i18n = new I18n();
/** Shorthand for components: {t('nav.keys')}. */
export const t = i18n.t;
