export const USERS = ['users'] as const;
