import { describe, expect, it } from 'vitest';
import { TABS } from './registry';
import { defineTab, tabsFor } from './tabs';

const Page = () => null;
const tab = (id: string, order: number, roles?: ('admin' | 'viewer')[]) =>
  defineTab({ id, label: id, path: id, icon: null, order, component: Page, ...(roles ? { roles } : {}) });

describe('tab registry', () => {
  const registry = [tab('users', 95, ['admin']), tab('settings', 90), tab('live', 10), tab('strategies', 20, ['admin', 'viewer'])];

  it('admins see every tab, in order', () => {
    expect(tabsFor('admin', registry).map((t) => t.id)).toEqual(['live', 'strategies', 'settings', 'users']);
  });

  it('viewers do not see admin-only tabs', () => {
    expect(tabsFor('viewer', registry).map((t) => t.id)).toEqual(['live', 'strategies', 'settings']);
  });

  it('nobody signed in sees nothing', () => {
    expect(tabsFor(null, registry)).toEqual([]);
  });

  it('the real registry: Settings for all, Users for admins only, no placeholder tabs', () => {
    expect(tabsFor('admin', TABS).map((t) => t.id)).toEqual(['live', 'strategies', 'history', 'analytics', 'logs', 'settings', 'users']);
    expect(tabsFor('viewer', TABS).map((t) => t.id)).toEqual(['live', 'strategies', 'history', 'analytics', 'logs', 'settings']);
  });
});
