// HTML to text as a stream (src/mime/html-text.ts): the text does not depend on where the HTML was
// cut into pieces, markup is removed as documented, and nothing grows with a long tag or script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HtmlTextStream, htmlToText } from '../../src/mime/html-text.js';

const SAMPLE =
  '<html><head><style>p { color: red } </style><script type="text/javascript">if (a < b && c > d) { x = "</scr" + "ipt>"; }</script >' +
  '</head><body><p>Bonjour&nbsp;&amp; <b>salut</b> &lt;tag&gt; &quot;q&quot; &#233;t&#xE9; &#0; &unknown; a < b, 3<4</p>' +
  '<div>line<br>next<br/>last<BR />end</div><!-- a comment --><SCRIPT>ignored()</SCRIPT>tail &amp</body></html>';

test('markup, entities and line breaks', () => {
  assert.equal(
    htmlToText(SAMPLE),
    '       Bonjour &  salut  <tag> "q" ét&#xE9;   &unknown; a < b, 3<4\n line\nnext\nlast\nend\n  tail &amp  ',
  );
});

test('the text does not depend on where the HTML was cut', () => {
  const whole = htmlToText(SAMPLE);
  for (let size = 1; size <= 17; size++) {
    const s = new HtmlTextStream();
    let out = '';
    for (let at = 0; at < SAMPLE.length; at += size) out += s.write(SAMPLE.slice(at, at + size));
    assert.equal(out + s.end(), whole, `pieces of ${size}`);
  }
});

test('what the end of the document leaves open: a tag or script is dropped, an entity is text', () => {
  assert.equal(htmlToText('text <a href="never closed'), 'text ');
  assert.equal(htmlToText('text <script>never ends'), 'text ');
  assert.equal(htmlToText('fish &amp'), 'fish &amp');
});

test('an end tag with attributes or a slash ends a script, as in browsers; a longer name does not', () => {
  assert.equal(htmlToText('a<script>x()</script foo="1">b<style>p{}</style/>c'), 'a b c');
  assert.equal(htmlToText('a<script>x("</scripts>")</script>b'), 'a b');
});

test('a long tag or script is passed over without being kept: text after it comes out at once', () => {
  const s = new HtmlTextStream();
  assert.equal(s.write('before<img src="data:image/png;base64,'), 'before');
  for (let i = 0; i < 100; i++) assert.equal(s.write('A'.repeat(64 * 1024)), '');
  assert.equal(s.write('">after<script>'), ' after');
  for (let i = 0; i < 100; i++) assert.equal(s.write('x<y;'.repeat(16 * 1024)), '');
  assert.equal(s.write('</script\n>done'), ' done');
  assert.equal(s.end(), '');
});
