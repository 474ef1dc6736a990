// Aliases over the GENERATED schema (never hand-copy backend schemas here).
import type { components } from './schema';

type Schemas = components['schemas'];

export type UserRead = Schemas['UserRead'];
export type Role = UserRead['role'];
export type TokenResponse = Schemas['TokenResponse'];
export type ApiKeyRead = Schemas['ApiKeyRead'];
export type ApiKeyCreated = Schemas['ApiKeyCreated'];
export type UserCreate = Schemas['UserCreate'];
export type UserUpdate = Schemas['UserUpdate'];
