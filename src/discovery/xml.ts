// Just enough XML writing for the discovery documents: escaped text and nested elements, indented.

export type XmlNode = { name: string; attrs?: Readonly<Record<string, string>>; children?: readonly XmlNode[]; text?: string | number };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function el(name: string, content?: string | number | readonly XmlNode[], attrs?: Readonly<Record<string, string>>): XmlNode {
  if (content === undefined) return { name, ...(attrs ? { attrs } : {}) };
  if (typeof content === 'string' || typeof content === 'number') return { name, text: content, ...(attrs ? { attrs } : {}) };
  return { name, children: content, ...(attrs ? { attrs } : {}) };
}

function render(node: XmlNode, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const attrs = Object.entries(node.attrs ?? {}).map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
  if (node.children && node.children.length > 0) {
    out.push(`${pad}<${node.name}${attrs}>`);
    for (const child of node.children) render(child, depth + 1, out);
    out.push(`${pad}</${node.name}>`);
  } else if (node.text !== undefined) {
    out.push(`${pad}<${node.name}${attrs}>${escapeXml(String(node.text))}</${node.name}>`);
  } else {
    out.push(`${pad}<${node.name}${attrs}/>`);
  }
}

export function xmlDocument(root: XmlNode): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  render(root, 0, out);
  return out.join('\n') + '\n';
}
