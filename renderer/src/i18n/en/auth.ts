// English: the headless admin's password login (components/Login.svelte) and Log out.
export const auth = {
  'auth.title': 'Log in to Keyhold',
  'auth.intro': 'This page has no valid admin token. Enter the admin password set on the server with keyhold admin-password set, or open the admin URL that keyhold serve printed.',
  'auth.password': 'Admin password',
  'auth.submit': 'Log in',
  'auth.checking': 'Checking…',
  'auth.logout': 'Log out',
} as const;
