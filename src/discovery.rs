//! Account discovery: from an email address to IMAP/SMTP servers and the sign-in method (admin policy,
//! autoconfig, ISPDB, MX, Exchange AutoDiscover, SRV, guessing). Filled in by the discovery issue; the
//! `tayori discover` command says so until then.
