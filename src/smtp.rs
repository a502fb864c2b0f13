//! Submission with lettre over rustls (implicit TLS or strict STARTTLS, XOAUTH2 or PLAIN) and the
//! durable outbox. Filled in by the sending issue.
