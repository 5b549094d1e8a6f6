/** A small argument parser: flags, `--key value` options and positionals. */

export interface ParsedArgs {
  command?: string;
  positionals: string[];
  flags: Set<string>;
  options: Map<string, string>;
}

export class ArgError extends Error {}

export function parseArgs(argv: string[], valued: Set<string>, known: Set<string>): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: new Set(), options: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (valued.has(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new ArgError(`--${name} needs a value`);
        out.options.set(name, v);
      } else if (known.has(name)) out.flags.add(name);
      else throw new ArgError(`unknown option --${name}`);
    } else if (a === '-h') out.flags.add('help');
    else if (!out.command) out.command = a;
    else out.positionals.push(a);
  }
  return out;
}
