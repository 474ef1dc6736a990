/**
 * Tab registry. Each feature exports one `TabDefinition` from `src/features/<name>/tab.tsx`
 * and adds it to `TABS` in `src/app/registry.ts`. A tab that has no feature yet is simply
 * not registered (placeholder tabs are not allowed).
 */
import type { ComponentType, ReactNode } from 'react';
import type { Role } from '../api/types';

export interface TabDefinition {
  /** Stable id, also used for test ids (`nav-<id>`). */
  id: string;
  label: string;
  /** URL segment under / (no leading slash), e.g. "settings". */
  path: string;
  icon: ReactNode;
  /** Lower comes first. Reserved: live 10, strategies 20, history 30, analytics 40, logs 50, settings 90, users 95. */
  order: number;
  /** Roles that may see the tab; omit for every signed-in user. */
  roles?: readonly Role[];
  /** The page. Use React.lazy() to code-split. */
  component: ComponentType;
}

export function defineTab(tab: TabDefinition): TabDefinition {
  return tab;
}

/** The tabs a role may see, in navigation order. */
export function tabsFor(role: Role | null | undefined, registry: readonly TabDefinition[]): TabDefinition[] {
  if (!role) return [];
  return registry.filter((t) => !t.roles || t.roles.includes(role)).sort((a, b) => a.order - b.order);
}
