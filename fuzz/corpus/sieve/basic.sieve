require ["fileinto", "imap4flags"];
if header :contains "subject" "acme" {
  addflag "\\Seen";
  fileinto :flags "\\Flagged" "Lists";
} elsif address :is :domain "from" "example.com.invalid" {
  keep;
} else {
  discard;
}
