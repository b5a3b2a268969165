/**
 * Help texts made from the same option tables that `util.parseArgs` reads, so the help cannot document a flag the
 * command does not take, nor leave one out. `util.parseArgs` reads `type`, `short` and `multiple` and ignores the
 * help fields, so a table is passed to it as it is.
 */

/** One option: what `util.parseArgs` needs, and one line of help. */
export interface DocumentedOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder of a string option's value in help, e.g. `URL`. @default VALUE */
  readonly value?: string;
  /** What it does, ending with its default when it has one. A `\n` continues on an indented line. */
  readonly help: string;
}

/** A command's options by long name, as `util.parseArgs` takes them. */
export type OptionTable = Readonly<Record<string, DocumentedOption>>;

/** `-h, --help`: every command has it (the program's entry point answers it before the command runs). */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h', help: 'this help' } } as const satisfies OptionTable;

/** What a command's help is made of. */
export interface CommandUsage {
  /** The synopsis lines, without `Usage: `; the first starts with `agility-pat`. */
  readonly usage: readonly string[];
  /** What the command does: paragraphs, printed as written. */
  readonly description: string;
  /** Option groups in order, each under its title (e.g. `Options:`). */
  readonly sections: readonly { readonly title: string; readonly options: OptionTable }[];
  /** Printed after the options (examples, exit codes). */
  readonly epilogue?: string;
}

/** The left column of an option: `-y, --yes` or `    --api-url URL`. */
function optionLabel(name: string, o: DocumentedOption): string {
  const flag = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  return o.short ? `-${o.short}, ${flag}` : `    ${flag}`;
}

/** The help text of a command, options aligned in one column across sections. */
export function formatUsage(u: CommandUsage): string {
  const labels = u.sections.flatMap((s) => Object.entries(s.options).map(([name, o]) => optionLabel(name, o)));
  const width = Math.max(0, ...labels.map((l) => l.length)) + 2;
  const indent = ' '.repeat('Usage: '.length);
  const lines = [`Usage: ${u.usage[0]}`, ...u.usage.slice(1).map((l) => `${indent}${l}`), '', u.description];
  for (const s of u.sections) {
    lines.push('', s.title);
    for (const [name, o] of Object.entries(s.options)) {
      const [first, ...rest] = o.help.split('\n');
      lines.push(`  ${optionLabel(name, o).padEnd(width)}${first}`, ...rest.map((r) => `  ${' '.repeat(width)}${r}`));
    }
  }
  if (u.epilogue) lines.push('', u.epilogue);
  return lines.join('\n');
}

/** Every option of a usage, merged (a name in two sections must be the same option). */
export function allOptions(u: CommandUsage): OptionTable {
  return Object.assign({}, ...u.sections.map((s) => s.options)) as OptionTable;
}
