// Client permissions as the forms show them: one checkbox per permission
// group with a scope, written as the CLI's text ("query:all,get:own,use:own").
// The engine parses that text (main/access/policy.ts parseGrants) and the
// handlers return its one-line message; this file only builds and reads the
// checkbox form of it.

/** The permission groups of main/access/operation-groups.ts, in the order the forms show them (a test keeps both equal). */
export const PERMISSION_GROUP_NAMES = ['query', 'get', 'use', 'create', 'modify', 'activate', 'revoke', 'destroy'] as const;
export type PermissionGroupName = (typeof PERMISSION_GROUP_NAMES)[number];
export type PermissionScope = 'own' | 'shared' | 'all';

export interface PermissionChoice {
  group: PermissionGroupName;
  enabled: boolean;
  /** query is always all. */
  scope: PermissionScope;
  /** Object Type restriction as the CLI writes it (SymmetricKey+SecretData), kept as it was; '' for every type. */
  types: string;
}

/** A new client's permissions: Query, and Get/Use of its own objects (main/access/policy.ts DEFAULT_GRANTS). */
export const LEAST_PRIVILEGE = 'query:all,get:own,use:own';

/** The checkbox rows for a permissions text (unknown parts are left to the engine to refuse). */
export function permissionChoices(text: string): PermissionChoice[] {
  const t = text.trim();
  const parts = new Map<string, { scope: string; types: string }>();
  if (t === 'all') for (const g of PERMISSION_GROUP_NAMES) parts.set(g, { scope: 'all', types: '' });
  else if (t !== '' && t !== 'none') {
    for (const p of t.split(',')) {
      const [group = '', scope = 'own', types = ''] = p.trim().split(':');
      parts.set(group, { scope, types });
    }
  }
  return PERMISSION_GROUP_NAMES.map((group) => {
    const p = parts.get(group);
    const scope = group === 'query' ? 'all' : ((['own', 'shared', 'all'].includes(p?.scope ?? '') ? p!.scope : 'own') as PermissionScope);
    return { group, enabled: p !== undefined, scope, types: p?.types ?? '' };
  });
}

/** The permissions text for checkbox rows ("none" when nothing is ticked). */
export function permissionsText(choices: readonly PermissionChoice[]): string {
  const on = choices.filter((c) => c.enabled);
  if (on.length === 0) return 'none';
  return on.map((c) => `${c.group}:${c.group === 'query' ? 'all' : c.scope}${c.types === '' ? '' : `:${c.types}`}`).join(',');
}
