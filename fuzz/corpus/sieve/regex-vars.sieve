require ["variables", "regex", "relational", "comparator-i;ascii-numeric"];
if header :regex "subject" "^\\[(.*)\\] (.*)$" {
  set :lower "list" "${1}";
  if string :count "ge" :comparator "i;ascii-numeric" "${list}" "1" { stop; }
}
