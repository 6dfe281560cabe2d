// Light, dark, or the system's choice; kept in localStorage and applied as
// <html data-theme>, which app.css keys its colours on.
export type Theme = 'system' | 'light' | 'dark';
const KEY = 'keyhold.theme';

function saved(): Theme {
  try {
    const v = localStorage.getItem(KEY);
    if (v === 'light' || v === 'dark' || v === 'system') return v;
  } catch {
    /* default */
  }
  return 'system';
}

class ThemeState {
  theme = $state<Theme>(saved());

  constructor() {
    this.apply();
  }

  set(theme: Theme): void {
    this.theme = theme;
    this.apply();
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      /* lasts for this page */
    }
  }

  private apply(): void {
    if (this.theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.theme;
  }
}

export const theme = new ThemeState();
