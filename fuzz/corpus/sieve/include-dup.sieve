require ["include", "duplicate", "mailbox", "encoded-character"];
if duplicate :header "message-id" { discard; stop; }
if mailboxexists "Junk" { fileinto :create "Junk"; }
include :personal "self";
if header :is "x" "${hex:41 42}" { keep; }
