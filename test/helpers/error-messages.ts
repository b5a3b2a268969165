import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

/** One message written in the source: where, which class, and its opening text (up to the first interpolation). */
export interface WrittenMessage {
  readonly file: string;
  readonly line: number;
  readonly errorClass: string;
  /** The literal text before any `${…}`; empty when the message starts with an interpolation. */
  readonly head: string;
  /** The keys of the details argument when it is written in place as an object literal. */
  readonly detailKeys: readonly string[];
}

const ROOT = join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The opening literal text of a message expression (a string, a template, or a `+` chain starting with one). */
function headOf(node: ts.Expression): string | undefined {
  if (ts.isParenthesizedExpression(node)) return headOf(node.expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return headOf(node.left);
  return undefined;
}

/**
 * Every `new <Class>(message, …)` in lib/ where `<Class>` is one of `classes` (for the base class, the message is
 * the second argument, after the code) and the message is written in place as text.
 */
export function writtenErrorMessages(classes: ReadonlySet<string>): WrittenMessage[] {
  const found: WrittenMessage[] = [];
  for (const file of tsFiles(join(ROOT, 'lib'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && classes.has(node.expression.text) && node.arguments) {
        const errorClass = node.expression.text;
        const at = errorClass === 'AgilityPatError' ? 1 : 0;
        const message = node.arguments[at];
        const head = message === undefined ? undefined : headOf(message);
        if (head !== undefined) {
          const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          const details = node.arguments[at + 1];
          const detailKeys =
            details !== undefined && ts.isObjectLiteralExpression(details)
              ? details.properties.flatMap((p) => (p.name !== undefined && ts.isIdentifier(p.name) ? [p.name.text] : []))
              : [];
          found.push({ file: relative(ROOT, file), line, errorClass, head, detailKeys });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}
