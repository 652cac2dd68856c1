if allof (true, not false, size :over 1K) { keep; } /* comment */ # line
if header :matches "Subject" "*version ?.?*" { stop; }
text:
not a command
.
