require ["editheader", "envelope", "subaddress", "copy", "body"];
addheader "X-Seen" "yes";
deleteheader :matches "X-*" "*";
if envelope :detail "to" "lists" { redirect :copy "other@example.net"; }
if body :text :contains "missile" { reject "no"; }
