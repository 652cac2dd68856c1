// HTML to plain text for search and previews, as a stream with bounded state: the decoded HTML is
// given piece by piece and text comes out as soon as the markup before it is complete, so a reader
// that needs the first MiB of text (the search index, the preview) stops there instead of holding a
// 40 MB body as one string and running whole-string replacements over it, and nothing a piece ends
// with (a tag, a script, an entity) is ever held back as a growing copy.
//
// What it removes: <script> and <style> elements with their content, every other tag (<br>, </p> and
// </div> become a line break, others a space), and it decodes &nbsp; &lt; &gt; &quot; &amp; and
// &#N; once each, left to right. As in a browser, a tag or a script/style element still open at the
// end of the document is dropped, and an '&' that starts no known entity is text.

const enum State {
  Text,
  Entity,
  Tag,
  /** Inside <script> or <style>, looking for '<'. */
  Raw,
  /** Inside <script> or <style>, matching the characters of `</name` after a '<'. */
  RawClose,
  /** Right after `</name`: '>' ends the element, a space or '/' starts its (ignored) attributes. */
  RawCloseEnd,
  /** In the end tag's attributes (`</script foo>`, as browsers accept): everything up to '>'. */
  RawCloseAttributes,
}

/** A tag's first characters, enough to tell <br>, </p>, </div>, <script and <style. */
const TAG_HEAD = 16;
const LINE_BREAK_TAG = /^(?:<br\s*\/?>|<\/p>|<\/div>)$/i;
/** What may follow '<' for it to open a tag, a comment or a declaration (else '<' is text). */
const TAG_START = /[A-Za-z\/!?]/;
const RAW_ELEMENT = /^<(script|style)(?=[\s/>]|$)/i;
/** "&#1114111;" with room for a few leading zeros. */
const MAX_ENTITY = 16;
const ENTITY = /^&(?:(nbsp|lt|gt|quot|amp)|#(\d+));$/i;
const NAMED: Readonly<Record<string, string>> = { nbsp: ' ', lt: '<', gt: '>', quot: '"', amp: '&' };
const ENTITY_CHAR = /[A-Za-z0-9#]/;

export class HtmlTextStream {
  private state = State.Text;
  /** Entity text so far, or the tag's head (at most TAG_HEAD characters, then '>' if it ended there). */
  private pending = '';
  private tagLength = 0;
  /** The element whose end is awaited ("script"/"style"), and how much of `</name` matched. */
  private rawName = '';
  private matched = 0;

  /** The text of `html`, continuing the document given so far. */
  write(html: string): string {
    const out: string[] = [];
    let i = 0;
    while (i < html.length) {
      switch (this.state) {
        case State.Text: {
          const next = nextSpecial(html, i);
          if (next > i) out.push(html.slice(i, next));
          if (next >= html.length) return out.join('');
          this.state = html[next] === '&' ? State.Entity : State.Tag;
          this.pending = html[next]!;
          this.tagLength = 1;
          i = next + 1;
          break;
        }
        case State.Entity: {
          const c = html[i]!;
          if (c === ';') {
            out.push(decodeEntity(this.pending + ';'));
            this.state = State.Text;
            i++;
          } else if (ENTITY_CHAR.test(c) && this.pending.length < MAX_ENTITY) {
            this.pending += c;
            i++;
          } else {
            out.push(this.pending); // not an entity: text, and `c` is read again as text
            this.state = State.Text;
          }
          break;
        }
        case State.Tag: {
          if (this.tagLength === 1 && !TAG_START.test(html[i]!)) {
            out.push('<'); // "a < b": no tag starts with a space or a digit; `html[i]` is read again
            this.state = State.Text;
            break;
          }
          const gt = html.indexOf('>', i);
          const upto = gt < 0 ? html.length : gt + 1;
          if (this.pending.length < TAG_HEAD) this.pending += html.slice(i, Math.min(upto, i + TAG_HEAD - this.pending.length));
          this.tagLength += upto - i;
          i = upto;
          if (gt < 0) break;
          const raw = RAW_ELEMENT.exec(this.pending);
          if (raw && !this.pending.startsWith('</')) {
            this.state = State.Raw;
            this.rawName = raw[1]!.toLowerCase();
          } else {
            out.push(this.tagLength <= TAG_HEAD && LINE_BREAK_TAG.test(this.pending) ? '\n' : ' ');
            this.state = State.Text;
          }
          break;
        }
        case State.Raw: {
          const lt = html.indexOf('<', i);
          if (lt < 0) return out.join('');
          this.state = State.RawClose;
          this.matched = 0;
          i = lt + 1;
          break;
        }
        case State.RawClose: {
          const want = `/${this.rawName}`;
          const c = html[i]!.toLowerCase();
          if (c === want[this.matched]) {
            this.matched++;
            i++;
            if (this.matched === want.length) this.state = State.RawCloseEnd;
          } else {
            this.state = State.Raw; // `c` is read again: it may be the next '<'
          }
          break;
        }
        case State.RawCloseEnd: {
          const c = html[i]!;
          if (c === '>') {
            out.push(' ');
            this.state = State.Text;
            i++;
          } else if (/[\s/]/.test(c)) {
            this.state = State.RawCloseAttributes;
            i++;
          } else {
            this.state = State.Raw; // `</scripts`: not this element's end
          }
          break;
        }
        case State.RawCloseAttributes: {
          const gt = html.indexOf('>', i);
          if (gt < 0) return out.join('');
          out.push(' ');
          this.state = State.Text;
          i = gt + 1;
          break;
        }
      }
    }
    return out.join('');
  }

  /** What the end of the document leaves: an unfinished entity is text; an open tag or element is dropped. */
  end(): string {
    const rest = this.state === State.Entity ? this.pending : '';
    this.state = State.Text;
    this.pending = '';
    return rest;
  }
}

function nextSpecial(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3c /* < */ || c === 0x26 /* & */) return i;
  }
  return s.length;
}

function decodeEntity(text: string): string {
  const m = ENTITY.exec(text);
  if (!m) return text;
  if (m[1] !== undefined) return NAMED[m[1].toLowerCase()]!;
  const n = Number(m[2]);
  return n > 0 && n < 0x110000 ? String.fromCodePoint(n) : ' ';
}

/** The text of a whole HTML document. */
export function htmlToText(html: string): string {
  const s = new HtmlTextStream();
  return s.write(html) + s.end();
}
