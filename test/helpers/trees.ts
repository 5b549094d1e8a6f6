/** Locations of test inputs: the project's fixtures, and Debian kernel trees fetched at test time. */
import { execFileSync } from 'child_process';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const FIXTURE_TREE = path.join(REPO, 'test', 'fixtures', 'tree');
export const EXAMPLE_TREE = path.join(REPO, 'examples', 'mini-kernel');

const fetched = new Map<string, string>();

/** Downloads (once, cached in the user's cache folder) and unpacks Debian's linux-source-VER. */
export function kernelTree(ver: '6.1' | '6.12'): string {
  const known = fetched.get(ver);
  if (known) return known;
  const out = execFileSync('bash', [path.join(REPO, 'scripts', 'fetch-kernel.sh'), ver], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 });
  const dir = out.trim().split('\n').pop()!;
  fetched.set(ver, dir);
  return dir;
}
