/**
 * Preprocessor conditions as the IR keeps them (`CONFIG_MMU`, `!CONFIG_PER_VMA_LOCK`,
 * `defined(CONFIG_X) && ...`): negating one for an `#else`, and telling two apart that
 * cannot both hold.
 */

/** The condition of an `#else` branch: `!CONFIG_X` for `CONFIG_X`, and back. */
export function negateCondition(cond: string): string {
  if (/^![A-Za-z_0-9]+$/.test(cond)) return cond.slice(1);
  return /^[A-Za-z_0-9]+$/.test(cond) ? '!' + cond : `!(${cond})`;
}

/** A condition in a canonical form: `defined(CONFIG_X)` is `CONFIG_X`, no spaces. */
function canonicalCondition(c: string): string {
  return c.replace(/defined\s*\(?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)?/g, '$1').replace(/\s+/g, '');
}

/** Whether two conditions cannot both hold (`CONFIG_X` and `!CONFIG_X`). */
export function contradicts(a: string, b: string): boolean {
  const x = canonicalCondition(a);
  const y = canonicalCondition(b);
  return x === negateCondition(y) || y === negateCondition(x);
}
