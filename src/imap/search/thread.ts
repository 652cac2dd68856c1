// THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 §2.2 and §3) over the parsed cache. Input:
// the matching messages in ascending UID order; output: the THREAD response body.
import type { MessageMeta } from '../../store/types.js';
import { isReplyOrForward } from '../../mime/subject.js';
import { keyBytes, sentTime } from './sort-keys.js';

interface Node {
  msg?: MessageMeta;
  /** Position in the input, for stable tie-breaking. */
  order: number;
  parent?: Node;
  children: Node[];
}

function nodeDate(n: Node): number {
  if (n.msg) return sentTime(n.msg);
  const first = n.children[0];
  return first ? nodeDate(first) : 0;
}

function nodeOrder(n: Node): number {
  if (n.msg) return n.order;
  const first = n.children[0];
  return first ? nodeOrder(first) : n.order;
}

function byDate(a: Node, b: Node): number {
  return nodeDate(a) - nodeDate(b) || nodeOrder(a) - nodeOrder(b);
}

function format(n: Node, id: (m: MessageMeta) => number): string {
  let head = n.msg ? String(id(n.msg)) : '';
  if (n.children.length === 1 && n.msg) return `${head} ${format(n.children[0]!, id)}`;
  if (n.children.length === 1) return format(n.children[0]!, id);
  if (n.children.length > 1) head += (head ? ' ' : '') + n.children.map((c) => `(${format(c, id)})`).join('');
  return head;
}

function render(roots: Node[], id: (m: MessageMeta) => number): string {
  return roots.map((r) => `(${format(r, id)})`).join('');
}

export function orderedSubjectThreads(metas: MessageMeta[], id: (m: MessageMeta) => number): string {
  const items = metas.map((m, order) => ({ m, order, subject: keyBytes(m.parsed?.sort.subject), date: sentTime(m) }));
  items.sort((a, b) => Buffer.compare(a.subject, b.subject) || a.date - b.date || a.order - b.order);
  const roots: Node[] = [];
  let current: Node | undefined;
  let currentSubject: Buffer | undefined;
  for (const it of items) {
    const node: Node = { msg: it.m, order: it.order, children: [] };
    if (current && currentSubject && Buffer.compare(currentSubject, it.subject) === 0) {
      current.children.push(node);
    } else {
      roots.push(node);
      current = node;
      currentSubject = it.subject;
    }
  }
  roots.sort(byDate);
  return render(roots, id);
}

function isAncestor(a: Node, b: Node): boolean {
  // Is `a` an ancestor of (or the same as) `b`?
  for (let n: Node | undefined = b; n; n = n.parent) if (n === a) return true;
  return false;
}

function unlink(n: Node): void {
  if (!n.parent) return;
  const p = n.parent;
  p.children = p.children.filter((c) => c !== n);
  n.parent = undefined;
}

function link(parent: Node, child: Node): void {
  if (isAncestor(child, parent)) return; // would create a loop
  unlink(child);
  child.parent = parent;
  parent.children.push(child);
}

export function referencesThreads(metas: MessageMeta[], id: (m: MessageMeta) => number): string {
  const table = new Map<string, Node>();
  let order = 0;
  const containerFor = (msgId: string): Node => {
    let n = table.get(msgId);
    if (!n) {
      n = { order: order++, children: [] };
      table.set(msgId, n);
    }
    return n;
  };
  const all: Node[] = [];
  metas.forEach((m, i) => {
    const p = m.parsed;
    let own = p?.messageId?.[0];
    if (!own || table.get(own)?.msg) own = `\u0000unique-${i}`;
    const node = containerFor(own);
    node.msg = m;
    node.order = metas.length + i;
    all.push(node);
    let refs = (p?.references ?? []).filter(Boolean);
    if (refs.length === 0 && p?.inReplyTo?.[0]) refs = [p.inReplyTo[0]];
    let prev: Node | undefined;
    for (const r of refs) {
      const c = containerFor(r);
      if (prev && !c.parent && c !== prev && !isAncestor(c, prev)) link(prev, c);
      prev = c;
    }
    // The message's parent becomes the last reference: an earlier parent is dropped even when the new
    // link cannot be made because it would create a loop (RFC 5256 §2.2 step 1C, as Dovecot does).
    unlink(node);
    if (prev && prev !== node && !isAncestor(node, prev)) link(prev, node);
  });
  for (const n of table.values()) if (!all.includes(n)) all.push(n);
  // Messages' orders were placed after the dummies; use input position for ties.
  metas.forEach((_, i) => {
    const n = all[i];
    if (n) n.order = i;
  });

  // (2) root set, (3) pruning.
  const prune = (nodes: Node[], atRoot: boolean): Node[] => {
    const out: Node[] = [];
    for (const n of nodes) {
      n.children = prune(n.children, false);
      for (const c of n.children) c.parent = n;
      if (!n.msg && n.children.length === 0) continue;
      if (!n.msg && (!atRoot || n.children.length === 1)) {
        for (const c of n.children) {
          c.parent = atRoot ? undefined : n.parent;
          out.push(c);
        }
        continue;
      }
      out.push(n);
    }
    return out;
  };
  let roots = prune(
    [...new Set(all)].filter((n) => !n.parent),
    true,
  );
  for (const r of roots) r.parent = undefined;

  // (4) sort the root set by date (children first, for dummies' dates).
  const sortTree = (n: Node): void => {
    n.children.sort(byDate);
    for (const c of n.children) sortTree(c);
  };
  for (const r of roots) sortTree(r);
  roots.sort(byDate);

  // (5) gather threads with the same base subject.
  const subjectOf = (n: Node): { base: string; raw: string | null } => {
    const m = n.msg ?? n.children[0]?.msg;
    const raw = m?.parsed?.envelope.subject ?? null;
    return { base: m?.parsed?.sort.subject ?? '', raw };
  };
  const subjects = new Map<string, Node>();
  for (const r of roots) {
    const { base, raw } = subjectOf(r);
    if (!base) continue;
    const old = subjects.get(base);
    if (!old) subjects.set(base, r);
    else if ((!r.msg && old.msg) || (isReplyOrForward(subjectOf(old).raw) && !isReplyOrForward(raw) && r.msg && old.msg)) subjects.set(base, r);
  }
  const removed = new Set<Node>();
  for (const r of [...roots]) {
    if (removed.has(r)) continue;
    const { base, raw } = subjectOf(r);
    if (!base) continue;
    const t = subjects.get(base);
    if (!t || t === r || removed.has(t)) continue;
    if (!t.msg && !r.msg) {
      for (const c of r.children) {
        c.parent = t;
        t.children.push(c);
      }
      r.children = [];
      removed.add(r);
    } else if (!t.msg && r.msg) {
      r.parent = t;
      t.children.push(r);
      removed.add(r);
    } else if (t.msg && !r.msg) {
      t.parent = r;
      r.children.push(t);
      removed.add(t);
      subjects.set(base, r);
    } else if (!isReplyOrForward(subjectOf(t).raw) && isReplyOrForward(raw)) {
      r.parent = t;
      t.children.push(r);
      removed.add(r);
    } else {
      const dummy: Node = { order: Math.min(nodeOrder(t), nodeOrder(r)), children: [t, r] };
      t.parent = dummy;
      r.parent = dummy;
      roots[roots.indexOf(t)] = dummy;
      removed.add(r);
      subjects.set(base, dummy);
    }
  }
  roots = roots.filter((r) => !removed.has(r));

  // (6) sort siblings by date everywhere.
  for (const r of roots) sortTree(r);
  return render(roots, id);
}
