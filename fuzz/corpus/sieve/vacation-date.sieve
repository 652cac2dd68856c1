require ["vacation", "vacation-seconds", "date", "relational"];
if currentdate :value "ge" "date" "2007-01-01" {
  vacation :seconds 3600 :subject "Away" :addresses ["foo@example.com.invalid"] "I am away.";
}
