/**
 * A syntax node as the IR builder reads it. Every question web-tree-sitter answers about a node
 * (its type, end, a field's child) is a call into wasm with the node copied in and out of wasm
 * memory, and the builder asks most of them several times of the same node (a node's type about
 * six times). This wrapper asks each once and remembers, and takes a node's text as a slice of
 * the source the tree was parsed from (what `Node.text` returns, without its walk through the
 * parse callback). On the 398 files of 6.12 that took the builder's calls into wasm from about
 * 7.7 to 5.1 million (node types 3.0 -> 1.5, ends 2.4 -> 1.5, field lookups 1.2 -> 1.0).
 */
import type { Node, Point } from 'web-tree-sitter';

export class SyntaxNode {
  private typeName?: string;
  private end = -1;
  private endPoint?: Point;
  private textValue?: string;
  private named?: SyntaxNode[];
  private fields?: Map<string, SyntaxNode | null>;

  /** `source`: the text the tree was parsed from; without it, texts come from tree-sitter. */
  constructor(
    readonly node: Node,
    private readonly source: string | undefined,
  ) {}

  get id(): number {
    return this.node.id;
  }

  get type(): string {
    return (this.typeName ??= this.node.type);
  }

  get startIndex(): number {
    return this.node.startIndex;
  }

  get endIndex(): number {
    if (this.end < 0) this.end = this.node.endIndex;
    return this.end;
  }

  get startPosition(): Point {
    return this.node.startPosition;
  }

  get endPosition(): Point {
    return (this.endPoint ??= this.node.endPosition);
  }

  get text(): string {
    return (this.textValue ??= this.source !== undefined ? this.source.slice(this.startIndex, this.endIndex) : this.node.text);
  }

  /** Named children (never null). */
  get namedChildren(): SyntaxNode[] {
    if (!this.named) {
      const out: SyntaxNode[] = [];
      for (const c of this.node.namedChildren) if (c) out.push(new SyntaxNode(c, this.source));
      // web-tree-sitter keeps the array on its node too; this wrapper is what keeps it now.
      (this.node as unknown as { _namedChildren?: unknown })._namedChildren = undefined;
      this.named = out;
    }
    return this.named;
  }

  childForFieldName(name: string): SyntaxNode | null {
    this.fields ??= new Map();
    let c = this.fields.get(name);
    if (c === undefined) {
      const n = this.node.childForFieldName(name);
      c = n ? new SyntaxNode(n, this.source) : null;
      this.fields.set(name, c);
    }
    return c;
  }

  /** Drops what this node remembers of its children (a top-level item once its IR is built), so they can be collected. */
  forget(): void {
    this.named = undefined;
    this.fields = undefined;
  }

  get hasError(): boolean {
    return this.node.hasError;
  }

  get isMissing(): boolean {
    return this.node.isMissing;
  }

  get childCount(): number {
    return this.node.childCount;
  }

  child(i: number): SyntaxNode | null {
    const c = this.node.child(i);
    return c ? new SyntaxNode(c, this.source) : null;
  }

  /** All children, named or not (never null). */
  get children(): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (const c of this.node.children) if (c) out.push(new SyntaxNode(c, this.source));
    return out;
  }

  get previousSibling(): SyntaxNode | null {
    const p = this.node.previousSibling;
    return p ? new SyntaxNode(p, this.source) : null;
  }
}
