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
