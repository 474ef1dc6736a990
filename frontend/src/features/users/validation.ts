/** The server's rules for a new user (auth/schemas.py Username, auth/passwords.py password_problem),
 * checked before sending so every problem shows at once. The server still checks them all. */
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 256;

export function newUserProblems(username: string, password: string): { username?: string; password?: string } {
  const problems: { username?: string; password?: string } = {};
  const name = username.trim();
  if (name.length < 3 || name.length > 64) problems.username = 'must be 3–64 characters long';
  else if (!/^[A-Za-z0-9_.@-]+$/.test(name)) problems.username = 'may only contain letters, digits and _ . @ -';
  if (password.length < MIN_PASSWORD_LENGTH) problems.password = `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  else if (password.length > MAX_PASSWORD_LENGTH) problems.password = `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  else if (!password.trim()) problems.password = 'must not be blank';
  else if (name && password.toLowerCase() === name.toLowerCase()) problems.password = 'must differ from the username';
  return problems;
}
