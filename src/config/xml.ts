// XML configuration files as a small element tree that remembers which elements and attributes the
// loader read, so everything left unread can be reported as unknown (typos must not pass silently).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FileContext } from './context.js';

export interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  /** Concatenated text content, trimmed. */
  text: string;
  used: boolean;
  usedAttrs: Set<string>;
}

type OrderedNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
});

function toElement(name: string, node: OrderedNode): XmlElement {
  const attrs = new Map<string, string>();
  const rawAttrs = node[':@'];
  if (rawAttrs && typeof rawAttrs === 'object') {
    for (const [k, v] of Object.entries(rawAttrs as Record<string, unknown>)) attrs.set(k, String(v));
  }
  const children: XmlElement[] = [];
  const texts: string[] = [];
  const content = node[name];
  if (Array.isArray(content)) {
    for (const child of content as OrderedNode[]) {
      for (const key of Object.keys(child)) {
        if (key === ':@' || key === '#comment') continue;
        if (key === '#text') texts.push(String(child[key]));
        else children.push(toElement(key, child));
      }
    }
  }
  return { name, attrs, children, text: texts.join('').trim(), used: false, usedAttrs: new Set() };
}

/** Parses a whole document and returns its root element; malformed XML is a ConfigError. */
export function parseXmlDocument(ctx: FileContext, text: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    ctx.fail('(document)', '', `fix the XML syntax: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`, 'not well-formed XML');
  }
  const top = parser.parse(text) as OrderedNode[];
  const roots: XmlElement[] = [];
  for (const node of top) {
    for (const key of Object.keys(node)) {
      if (key !== ':@' && key !== '#comment' && key !== '#text') roots.push(toElement(key, node));
    }
  }
  const [root] = roots;
  if (!root || roots.length > 1) {
    ctx.fail('(document)', '', 'an XML configuration file has exactly one root element', 'not a single root element');
  }
  root.used = true;
  return root;
}

/** A value read from the file together with the key that names it in messages. */
export interface RawValue {
  raw: string;
  key: string;
}

/** An element plus its key path (e.g. `imapserver[1].auth`), with typed readers that mark use. */
export class XmlSection {
  constructor(
    readonly ctx: FileContext,
    readonly el: XmlElement,
    readonly key: string,
  ) {}

  childKey(name: string): string {
    return `${this.key}.${name}`;
  }

  attrKey(name: string): string {
    return `${this.key}@${name}`;
  }

  /** The single child named `name`; several of them is an error because only one can apply. */
  child(name: string): XmlSection | undefined {
    const found = this.el.children.filter((c) => c.name === name);
    if (found.length > 1) {
      this.ctx.fail(this.childKey(name), '', `keep a single <${name}> element in this block`, `appears ${found.length} times`);
    }
    const [el] = found;
    if (!el) return undefined;
    el.used = true;
    return new XmlSection(this.ctx, el, this.childKey(name));
  }

  /** Every child named `name`, in document order. */
  children(name: string): XmlSection[] {
    return this.el.children
      .filter((c) => c.name === name)
      .map((el, i) => {
        el.used = true;
        return new XmlSection(this.ctx, el, `${this.key}.${name}[${i + 1}]`);
      });
  }

  /** Text of the child `name`; an empty element counts as absent. */
  text(name: string): RawValue | undefined {
    const sec = this.child(name);
    if (!sec) return undefined;
    markSubtree(sec.el);
    return sec.el.text === '' ? undefined : { raw: sec.el.text, key: sec.key };
  }

  attr(name: string): RawValue | undefined {
    const value = this.el.attrs.get(name);
    if (value === undefined) return undefined;
    this.el.usedAttrs.add(name);
    return { raw: value.trim(), key: this.attrKey(name) };
  }

  /** Marks this element and everything below it as read (for blocks deliberately skipped). */
  consumeAll(): void {
    markSubtree(this.el);
  }
}

function markSubtree(el: XmlElement): void {
  el.used = true;
  for (const a of el.attrs.keys()) el.usedAttrs.add(a);
  for (const c of el.children) markSubtree(c);
}

/**
 * Warns about every element or attribute the loader did not read. An unread element is reported
 * once (not its children). `ignored` names James settings that Tessera knowingly does not use, so
 * the warning can say so instead of suggesting a typo.
 */
export function warnUnused(ctx: FileContext, root: XmlElement, rootKey: string, ignored: ReadonlyMap<string, string>): void {
  const visit = (el: XmlElement, key: string): void => {
    for (const a of el.attrs.keys()) {
      if (!el.usedAttrs.has(a)) ctx.warn(`${key}@${a}`, unusedMessage('attribute', a, ignored));
    }
    const counts = new Map<string, number>();
    for (const c of el.children) {
      const n = (counts.get(c.name) ?? 0) + 1;
      counts.set(c.name, n);
      const total = el.children.filter((x) => x.name === c.name).length;
      const childKey = total > 1 ? `${key}.${c.name}[${n}]` : `${key}.${c.name}`;
      if (!c.used) ctx.warn(childKey, unusedMessage('element', c.name, ignored));
      else visit(c, childKey);
    }
  };
  visit(root, rootKey);
}

function unusedMessage(kind: 'element' | 'attribute', name: string, ignored: ReadonlyMap<string, string>): string {
  const reason = ignored.get(name);
  if (reason !== undefined) return `James setting ${kind === 'element' ? `<${name}>` : name} is not used by Tessera and is ignored${reason ? ` (${reason})` : ''}`;
  return `unknown ${kind} ${kind === 'element' ? `<${name}>` : `"${name}"`} is ignored; check its spelling and place`;
}
