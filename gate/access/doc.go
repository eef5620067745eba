// Package access is the gate that decides who may act: accounts and their
// roles per workspace, passwords, second factors, sessions, API keys,
// emergency (break-glass) access and write-only tool secrets.
//
// The ledger is the database. Every fact about an account, key or grant is
// an event in the system ledger (account/<id>, apikey/<id>,
// breakglass/<workspace>); the records the gate consults on each request
// are folded from those events by one function (Directory.apply) into an
// auxiliary bucket beside the log, and Rebuild folds them again from the
// log. Secrets — password hashes (argon2id), TOTP seeds, recovery-code and
// API-key hashes — are sealed under the system ledger's data key and never
// appear in an event. Email addresses and names are personal data: they
// live only in the PHI fields of account.created events, encrypted and
// erasable; the derived records find an account by a keyed hash of its
// address.
//
// Authorization is one pure decision, Allowed(role, capability), over the
// roles of DESIGN.md: viewer < member < admin < owner. Everything that asks
// whether an action is permitted names a Capability and calls Allowed.
//
// Files: role.go roles and capabilities; password.go the password policy
// and its embedded list of common passwords; directory.go storage and the
// fold; account.go accounts; login.go sessions, login, password change and
// second factors; apikey.go API keys; breakglass.go emergency access;
// principal.go who a request acts for; secret.go write-only secrets.
package access
