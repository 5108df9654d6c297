// Package fault is the server's one vocabulary of failures: the sentinel
// errors of the domain, the validation error that names a request field, and
// the one table that maps every error to its api.Code, its HTTP status and a
// message a student can read, in German and English (docs/api.md, "Errors").
//
// The message shown to a student never contains upstream text: an error's
// Error() string is for the server log; Describe returns the table's message
// for its code (or a validation error's own message), plus a hint an error
// may carry that our own code built from safe values (a model name).
package fault
